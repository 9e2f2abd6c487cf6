"""``mcat speedtest``: the speed stress test — a split's recordings played faster or slower, re-windowed and scored."""
