"""How every HallQ program writes its log lines (hub, devices, kiosk).

Log times carry their UTC offset: a hub PC left on UTC logged 02:15 for a call at 10:15 hall
time, and nothing in the line said which clock it was.
"""
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_DATEFMT = "%Y-%m-%d %H:%M:%S%z"
