# Collects docs/ pages as tests and registers the database checks pages call by name.
pytest_plugins = ["tutorial_harness.pytest_plugin", "tests.page_checks"]
