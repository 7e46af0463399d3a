"""The loyalty card both wallets show, as plain data and localized labels: no Flask, no rows
(but `service`, which reads the core's rows into it)."""
