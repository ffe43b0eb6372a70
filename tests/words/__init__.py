"""Tests of allocator.words."""
