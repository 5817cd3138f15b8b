"""Test suite (this file makes tests/conftest.py import as tests.conftest, so that the
folder tests/ never lands on sys.path where tests/memos would shadow the memos package)."""
