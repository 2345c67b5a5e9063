"""Registers the fixtures shared by every test folder (tests/ and services/*/tests).

They live in libs/servicekit (testkit.fixtures). A plugin named here, in the rootdir's
conftest.py, reaches every test below it, also when pytest is given a single service's tests.
"""

pytest_plugins = ["testkit.fixtures"]
