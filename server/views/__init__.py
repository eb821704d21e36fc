"""HTTP views: one blueprint per feature."""
