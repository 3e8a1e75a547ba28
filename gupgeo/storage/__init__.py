"""Where a territory is stored: one GeoPackage by default (:mod:`gupgeo.storage.geopackage`),
written atomically and never destroying tables gupgeo did not write; a PostGIS schema shared
by a team (:mod:`gupgeo.storage.postgis`); a folder of GeoParquet partitioned by year for
national layers and Dask (:mod:`gupgeo.storage.parquet`)."""
