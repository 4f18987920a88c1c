"""What the Python benchmark programs share (standard library only)."""

import resource


def raise_nofile(want):
    """Raises this process's RLIMIT_NOFILE to `want` (the hard limit too, when allowed; else as far
    as the hard limit goes); returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
