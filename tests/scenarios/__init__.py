"""Tests of allocator.scenarios."""
