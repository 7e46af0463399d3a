"""Every member's personal code and share link; the one namespace of codes (members' and
partners')."""
