"""Pure notification rules: what each event tells whom, how it is worded, retry and flood limits."""
