from servicekit.migrations import run_env
from tqr_application.adapters.orm import metadata

run_env(metadata)
