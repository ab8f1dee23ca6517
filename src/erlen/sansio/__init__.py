"""The sans-IO core: registration, routing tables and dispatch plans, with no I/O and no contextvars."""
