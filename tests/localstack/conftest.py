"""The local stack's fixtures live in tests/conftest.py, shared with the call-flow tests."""
