"""Run every benchmark in turn."""

from bench import forgot_timing, login_load, login_timing

if __name__ == "__main__":
    login_timing.main()
    forgot_timing.main()
    login_load.main()
