"""Tests of allocator.analysis."""
