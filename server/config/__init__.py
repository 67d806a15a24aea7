"""Hall configuration: models.py, loading with complete error reports (loader.py), item import,
CLI helpers. This package file imports nothing, so that finding the configuration folder
(paths.py) does not load the models for commands that never read them (`hallq user list`).
"""
