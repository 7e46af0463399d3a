"""The referral program's settings: rewards per side, the minimum purchase, the cap, the hold."""
