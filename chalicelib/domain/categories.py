"""The service categories of the marketplace."""

CATEGORIES = {
    "cleaning": "Cleaning",
    "home-repair": "Home repair",
    "plumbing": "Plumbing",
    "beauty": "Beauty",
    "massage": "Massage",
    "tutoring": "Tutoring",
}
