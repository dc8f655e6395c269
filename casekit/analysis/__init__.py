"""Analysis of a casebook: chronology, dynamics, flags, research and supervision logic."""
