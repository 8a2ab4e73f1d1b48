"""Everything the functions share."""
import zoneinfo

# Time zone rules come from the pinned tzdata package (requirements.txt), not the host's database,
# so a laptop, CI and Lambda answer alike. This runs before any zone is loaded.
zoneinfo.reset_tzpath(to=())
