"""Tests of allocator.rules."""
