"""Statistics, reports and the monthly assessment, all computed from the ticket ledger.

facts.py turns the engine's ledger and events into per-ticket, per-leg and per-window-day fact rows
(a catch-up job after a stored watermark); everything else reads those facts.
"""
