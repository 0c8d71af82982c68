"""The storefront: shop exports from the rendered archive: Shopify CSV, Printify/Printful payloads, images.

Everything here reads what ``teeprint batch`` wrote (``OUT/<slug>/manifest.json``), never renders,
so it runs in seconds and picks up whatever stages existed when the batch ran (mockups when the
mockup stage is there, the print PNG otherwise).

**One product per specimen, Color as an option.**  A design is one listing whose first option is
the garment colour over the garments of all its colourways (Option1 Name = ``Color``) and whose
second is the size.  One listing per design keeps its reviews, sales history and search ranking
together instead of splitting them over near-identical "ecru" and "black" listings; the buyer
picks a shirt colour, and the colourway (light inks or dark inks with an underbase) simply
follows the garment, which is what the print provider needs to know anyway.  A garment claimed
by two colourways of one specimen goes to the first one listed in the spec.

**Images.**  Storefront images get content-hashed names (``{handle}--{garment}--{view}--{sha12}``)
so a changed image gets a new URL (Printful's file library deduplicates by URL), and are
linked or copied into ``DIR/images/`` to be hosted at the configured image base URL.  Without
mockups, the print PNG is shown flat on a 2048 px square of the garment colour (the print file
itself is 24 MP, over Shopify's image limit) and the summary says so.

**Spreadsheet safety.**  Every cell that a spreadsheet would run as a formula (starting with
``= + - @``, tab or carriage return) is prefixed with an apostrophe.

Settings come from the ``[commerce]`` table of ``shop.toml``, validated by :class:`Commerce`.

The package's modules, in the order an export uses them: :mod:`.settings` (``[commerce]``),
:mod:`.archive` (what the batch rendered), :mod:`.images`, :mod:`.products`, :mod:`.shopify`
(the CSV), :mod:`.pod` (Printify and Printful payloads), :mod:`.gallery`, :mod:`.lookbook` and
:mod:`.export`, which runs them.  Nothing here renders or imports the render pipeline.
"""
