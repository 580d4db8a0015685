"""Reports for the budget office and the command centre: leased-capacity cost and hotspot use."""
