"""Partners (creators): vanity codes, their window, welcome reward, cap, commissions and
funnel report."""
