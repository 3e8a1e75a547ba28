"""Where a territory is stored: one GeoPackage by default (:mod:`gupgeo.storage.geopackage`),
written atomically and never destroying tables gupgeo did not write."""
