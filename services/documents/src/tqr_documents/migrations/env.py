from servicekit.migrations import run_env
from tqr_documents.adapters.orm import metadata

run_env(metadata)
