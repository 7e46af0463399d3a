"""Holdout lift: what a campaign or an offer changed, treated against held-out members.

The groups are drawn and recorded by the core (`app.holdout`: the offers' start, the campaign
fan-out); this package only reads them with the members' purchases."""
