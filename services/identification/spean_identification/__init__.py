"""Identification: frontline screening and the competent authority's determination. Emits case.identified."""
