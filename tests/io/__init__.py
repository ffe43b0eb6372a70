"""Tests of allocator.io."""
