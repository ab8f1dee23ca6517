"""The benchmark's applications: one Flask-API app plus natural Bottle and Falcon equivalents."""
