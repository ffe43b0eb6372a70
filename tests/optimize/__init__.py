"""Tests of allocator.optimize."""
