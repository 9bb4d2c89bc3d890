# Rollup tables arrive with the statistics issue; the app exists now so the layout is in place.
