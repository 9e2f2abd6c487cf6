"""Person masks per recording and their quality statistics (``mcat masks``)."""
