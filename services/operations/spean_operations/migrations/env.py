from spean_kit.migrations import run_env

run_env()
