"""Write .dvc/plots/offline.html: DVC's plots page with Vega, Vega-Lite and vega-embed inlined, so that
`dvc plots show` renders without internet (DVC's own page loads them from cdn.jsdelivr.net).

Run by `make plots-template` in a scratch venv holding vl-convert-python (which bundles the three libraries,
BSD-3-Clause); .dvc/config points `plots.html_template` at the result.
"""

import sys
from pathlib import Path

import vl_convert as vlc

VEGA_LITE = "5.20"  # DVC's templates are Vega-Lite v5 specs

PAGE = """<!DOCTYPE html>
<html>
<head>
    {refresh_tag}
    <meta charset="utf-8">
    <title>DVC Plot</title>
    <!-- Vega %(vega)s, Vega-Lite %(vega_lite)s, vega-embed %(embed)s (BSD-3-Clause), inlined from vl-convert-python
         %(vlc)s by `make plots-template` (infra/dvc/offline_plots_template.py): no CDN, renders offline -->
    <script>%(bundle)s</script>
    <style>
        table { border-spacing: 15px; }
    </style>
</head>
<body>
    {plot_divs}
</body>
</html>
"""

bundle = vlc.javascript_bundle("window.vegaEmbed = vegaEmbed;", vl_version=VEGA_LITE)
bundle = bundle.replace("</script", "<\\/script")  # the page's own </script> must be the only one
page = PAGE % {"vega": vlc.get_vega_version(), "vega_lite": VEGA_LITE, "embed": vlc.get_vega_embed_version(),
               "vlc": vlc.__version__, "bundle": bundle}
Path(sys.argv[1]).write_text(page, encoding="utf8")
print(f"wrote {sys.argv[1]} ({len(page) / 1e6:.2f} MB)")
