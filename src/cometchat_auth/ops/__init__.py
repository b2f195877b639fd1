"""Operating the server: request context, structured logs, metrics, and the operator's commands
(doctor, calibrate, users import, cometchat sync).

``context``, ``logs`` and ``metrics`` import nothing else of ours, so any layer may report to them;
the commands sit at the top, beside ``cli``.
"""
