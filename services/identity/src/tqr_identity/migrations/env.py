from servicekit.migrations import run_env
from tqr_identity.adapters.orm import metadata

run_env(metadata)
