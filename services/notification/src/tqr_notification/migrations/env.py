from servicekit.migrations import run_env
from tqr_notification.adapters.orm import metadata

run_env(metadata)
