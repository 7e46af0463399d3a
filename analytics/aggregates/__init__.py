"""The daily aggregates the reports read, and the scheduled job that keeps them."""
