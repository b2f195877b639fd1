"""Run every benchmark in turn: the side-by-side comparison and the scale with data first."""

from bench import (
    compare,
    forgot_followup,
    forgot_timing,
    import_rss,
    login_load,
    login_timing,
    rss,
    scale,
)

if __name__ == "__main__":
    compare.main()
    scale.main()
    login_timing.main()
    forgot_timing.main()
    forgot_followup.main()
    login_load.main()
    import_rss.main()
    rss.main([])
