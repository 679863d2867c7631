"""The DNS lab of the test suite: see README.md."""
