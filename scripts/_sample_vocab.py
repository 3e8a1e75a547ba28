"""Vocabularies of the synthetic sample territory (pure data).

Street names are synthetic "street-like" names (several with apostrophes, the
classic way to break an HTML popup); nothing here describes a real address.
"""

from __future__ import annotations

STREETS: dict[str, tuple[str, ...]] = {
    "LOC-SANITAS": (
        "place Saint-Paul", "rue de l'Alouette", "allée des Tilleuls", "rue du Sanitas",
        "avenue du Général de Gaulle", "rue d'Estienne d'Orves", "square de la Fuye",
        "rue Édouard Vaillant", "allée de l'Île-de-France",
    ),
    "LOC-EUROPE": (
        "avenue de l'Europe", "place de Strasbourg", "rue de Lisbonne", "allée d'Athènes",
        "rue de Vienne", "square de l'Amitié", "rue de Dublin",
    ),
    "LOC-BORDS-DE-LOIRE": (
        "quai de la Loire", "rue des Mariniers", "allée des Peupliers", "rue de l'Écluse",
        "place du Port", "rue des Gabares",
    ),
    "LOC-MARYSE-BASTIE": (
        "rue Maryse Bastié", "allée de l'Aéropostale", "rue Hélène Boucher",
        "square des Aviatrices", "rue Adrienne Bolland",
    ),
    "LOC-RIVES-DU-CHER": (
        "quai du Cher", "rue des Saules", "allée de l'Île Balzac", "rue des Lavandières",
        "place des Rives", "rue du Moulin",
    ),
    "LOC-ROCHEPINARD": (
        "rue de Rochepinard", "allée des Coteaux", "rue de la Chênaie", "square d'Orléans",
        "rue des Vignes",
    ),
    "LOC-FONTAINES": (
        "rue des Fontaines", "allée de la Source", "place de l'Europe-Fontaines",
        "rue du Lavoir", "allée d'Aquitaine", "rue des Jardins",
    ),
    "LOC-RABATERIE": (
        "rue de la Rabaterie", "allée des Cheminots", "place de la Gare-Est",
        "rue de l'Aubrière", "square des Marronniers", "rue Pierre Sémard",
    ),
    "LOC-RABIERE": (
        "rue de la Rabière", "allée des Acacias", "place du Marché", "rue de l'Alouette",
        "square des Charmilles", "rue d'Artois", "allée de Bretagne",
    ),
    "LOC-NIQUEUX-BRUERE": (
        "rue du Niqueux", "allée de la Bruère", "rue Marcel Pagnol", "square Jean de Florette",
        "rue de l'Ermitage",
    ),
}  # fmt: skip

STREETS_OUTSIDE: tuple[str, ...] = (
    "rue Nationale", "boulevard Béranger", "avenue de Grammont", "boulevard Heurteloup",
    "quai Paul Bert", "rue Giraudeau", "avenue André Maginot", "rue de Bordeaux",
    "boulevard Jean Royer", "rue Febvotte", "rue d'Entraigues", "avenue de la Tranchée",
    "rue de la Parmentière", "chemin de l'Étang",
)  # fmt: skip

# category -> (base share, monthly multipliers Jan..Dec, median days to close)
CATEGORIES: dict[str, tuple[float, tuple[float, ...], float]] = {
    "propreté": (0.17, (0.9, 0.9, 1.0, 1.0, 1.1, 1.2, 1.2, 1.1, 1.0, 1.0, 0.9, 0.9), 5.0),
    "dépôts sauvages": (0.17, (0.6, 0.6, 0.9, 1.1, 1.3, 1.5, 1.6, 1.5, 1.1, 0.9, 0.7, 0.6), 6.0),
    "encombrants": (0.10, (0.8, 0.8, 0.9, 1.0, 1.2, 1.3, 1.4, 1.3, 1.2, 0.9, 0.8, 0.8), 7.0),
    "éclairage": (0.10, (1.9, 1.6, 1.1, 0.7, 0.5, 0.4, 0.4, 0.5, 0.8, 1.2, 1.6, 1.9), 14.0),
    "dégradations": (0.09, (1.0,) * 12, 21.0),
    "tags": (0.07, (0.9, 0.9, 1.0, 1.0, 1.1, 1.1, 1.1, 1.0, 1.0, 1.0, 1.0, 0.9), 12.0),
    "voirie": (0.08, (1.4, 1.4, 1.2, 1.0, 0.9, 0.8, 0.8, 0.8, 0.9, 1.0, 1.1, 1.3), 30.0),
    "espaces verts": (0.08, (0.4, 0.5, 0.9, 1.4, 1.7, 1.6, 1.3, 1.1, 1.1, 0.9, 0.6, 0.4), 16.0),
    "PAVE": (0.09, (0.8, 0.8, 0.9, 1.0, 1.1, 1.2, 1.4, 1.4, 1.1, 1.0, 0.8, 1.0), 4.0),
    "stationnement / épaves": (0.05, (1.0,) * 12, 35.0),
}  # fmt: skip

# category -> ((sous_categorie, weight, (descriptions…)), …)
SOUS_CATEGORIES: dict[str, tuple[tuple[str, float, tuple[str, ...]], ...]] = {
    "propreté": (
        ("déchets au sol", 0.45, ("Papiers et canettes au sol", "Détritus devant l'entrée",
                                  "Sacs éventrés sur le trottoir")),
        ("corbeille pleine", 0.25, ("Corbeille qui déborde", "Poubelle de rue pleine")),
        ("déjections canines", 0.20, ("Déjections canines sur le cheminement",
                                      "Déjections devant l'aire de jeux")),
        ("seringues", 0.10, ("Seringue trouvée dans le square", "Seringues près du hall")),
    ),
    "dépôts sauvages": (
        ("sacs d'ordures", 0.45, ("Sacs d'ordures déposés au pied du PAVE",
                                  "Dépôt de sacs contre le mur")),
        ("gravats", 0.20, ("Gravats de chantier abandonnés", "Tas de gravats sur le parking")),
        ("déchets verts", 0.15, ("Tas de branchages", "Déchets de tonte déposés")),
        ("cartons", 0.20, ("Cartons empilés devant l'entrée", "Cartons mouillés au sol")),
    ),
    "encombrants": (
        ("matelas", 0.30, ("Matelas abandonné", "Deux matelas dans le local")),
        ("électroménager", 0.30, ("Réfrigérateur déposé sur le trottoir",
                                  "Machine à laver abandonnée")),
        ("meubles", 0.40, ("Canapé laissé devant l'immeuble", "Meubles démontés au sol",
                           "Armoire abandonnée près de l'aire de jeux")),
    ),
    "éclairage": (
        ("lampadaire éteint", 0.55, ("Lampadaire éteint depuis plusieurs jours",
                                     "Rue plongée dans le noir", "Candélabre hors service")),
        ("éclairage intermittent", 0.25, ("Éclairage qui clignote", "S'allume et s'éteint")),
        ("candélabre endommagé", 0.10, ("Mât penché après un choc", "Trappe de candélabre ouverte")),
        ("éclairage de hall", 0.10, ("Hall d'entrée sans lumière", "Minuterie du hall en panne")),
    ),
    "dégradations": (
        ("mobilier urbain", 0.35, ("Banc cassé", "Barrière arrachée", "Potelet couché")),
        ("vitre brisée", 0.20, ("Vitre de l'abribus brisée", "Vitrage du hall cassé")),
        ("porte de hall", 0.25, ("Porte de hall forcée", "Ventouse de porte arrachée")),
        ("boîtes aux lettres", 0.20, ("Boîtes aux lettres fracturées",
                                      "Boîte aux lettres arrachée")),
    ),
    "tags": (
        ("tag sur façade", 0.55, ("Tag sur la façade", "Nouveaux tags sur le pignon")),
        ("graffiti injurieux", 0.15, ("Inscription injurieuse à effacer rapidement",)),
        ("affichage sauvage", 0.30, ("Affiches collées sur l'armoire électrique",
                                     "Affichage sauvage sur l'abribus")),
    ),
    "voirie": (
        ("nid-de-poule", 0.40, ("Nid-de-poule sur la chaussée", "Trou profond dans la voie")),
        ("trottoir dégradé", 0.30, ("Trottoir soulevé par les racines", "Dalles descellées")),
        ("plaque d'égout", 0.15, ("Plaque d'égout qui bouge", "Tampon manquant")),
        ("signalisation", 0.15, ("Panneau stop couché", "Marquage au sol effacé")),
    ),
    "espaces verts": (
        ("tonte", 0.35, ("Herbe haute sur la pelouse", "Tonte à prévoir")),
        ("taille", 0.30, ("Haie qui déborde sur le trottoir", "Branches basses gênantes")),
        ("arbre dangereux", 0.15, ("Branche cassée menaçant de tomber", "Arbre penché")),
        ("aire de jeux", 0.20, ("Jeu cassé dans l'aire de jeux", "Sol amortissant arraché")),
    ),
    "PAVE": (
        ("PAVE plein", 0.50, ("PAVE plein, sacs au pied", "Colonne enterrée pleine")),
        ("PAVE bloqué", 0.30, ("Tambour du PAVE bloqué", "Trappe du PAVE coincée")),
        ("PAVE endommagé", 0.20, ("Borne du PAVE cassée", "Couvercle du PAVE manquant")),
    ),
    "stationnement / épaves": (
        ("véhicule épave", 0.45, ("Voiture épave sans plaques", "Véhicule brûlé sur le parking")),
        ("véhicule ventouse", 0.30, ("Véhicule ventouse depuis des semaines",)),
        ("stationnement gênant", 0.25, ("Voitures garées sur le passage piéton",
                                        "Stationnement devant l'accès pompiers")),
    ),
}  # fmt: skip

# Raw statuses come from two vocabularies: the in-house GUP tool and the Open311 app.
STATUTS_OUVERTS_FR: tuple[str, ...] = ("Nouveau", "Pris en compte", "Programmé", "En cours")
STATUTS_CLOS_FR: tuple[str, ...] = ("Résolu", "Clôturé")

SOURCES: tuple[str, ...] = (
    "habitant", "gardien", "agent de proximité", "application", "élu",
    "diagnostic en marchant", "accueil mairie",
)  # fmt: skip

FAKE_PERSONAL: tuple[str, ...] = (
    " – rappeler M. Dupont au 06 12 34 56 78",
    " ; contact : prenom.nom@example.org",
    " (signalé par Mme Martin, tél. 06 12 34 56 78)",
    " – réponse souhaitée à habitant.test@example.org",
)

BAILLEURS_PAR_COMMUNE: dict[str, tuple[str, ...]] = {
    "Tours": ("Tours Habitat", "Val Touraine Habitat"),
    "Saint-Pierre-des-Corps": ("Val Touraine Habitat", "Tours Habitat"),
    "Joué-lès-Tours": ("Val Touraine Habitat", "Touraine Logement"),
    "La Riche": ("Touraine Logement", "Val Touraine Habitat"),
}

PERSONNES: tuple[str, ...] = (
    "Jean Moulin", "Marie Curie", "Paul Bert", "Jules Ferry", "Victor Hugo", "Louise Michel",
    "Jean Jaurès", "Pablo Neruda", "Rabelais", "George Sand", "Simone Veil", "Olympe de Gouges",
    "Honoré de Balzac", "Anatole France", "Colette", "Léo Lagrange",
)  # fmt: skip

# type -> (count, ISO year range of mise en service)
EQUIPEMENT_TYPES: dict[str, tuple[int, tuple[int, int]]] = {
    "école": (18, (1962, 2012)),
    "collège": (4, (1965, 2005)),
    "centre social": (8, (1975, 2015)),
    "maison de projets": (4, (2018, 2021)),
    "PAVE": (45, (2012, 2024)),
    "aire de jeux": (20, (2005, 2024)),
    "gymnase": (7, (1968, 2010)),
    "bibliothèque": (5, (1980, 2018)),
    "local gardien": (22, (1965, 2020)),
    "mairie annexe": (5, (1975, 2010)),
    "city-stade": (6, (2010, 2023)),
    "jardin partagé": (6, (2014, 2024)),
}

THEMES_CONSTATS: dict[str, tuple[tuple[str, str], ...]] = {
    "éclairage": (
        ("Cheminement très sombre la nuit", "Ajouter deux points lumineux le long du cheminement"),
        ("Lampadaire masqué par un arbre", "Élaguer l'arbre ou déplacer le mât"),
    ),
    "visibilité": (
        ("Haie trop haute, pas de vue sur l'entrée", "Abaisser la haie à 1 m"),
        ("Angle mort derrière le local vélos", "Ouvrir la vue en retirant le bardage plein"),
    ),
    "recoins": (
        ("Recoin sous l'escalier propice aux regroupements", "Fermer le recoin par une grille"),
        ("Renfoncement de façade utilisé comme urinoir", "Supprimer le renfoncement"),
    ),
    "accès": (
        ("Accès pompiers encombré", "Poser des potelets amovibles"),
        ("Porte de parking toujours ouverte", "Réparer la fermeture automatique"),
    ),
    "cheminements": (
        ("Cheminement d'usage non aménagé à travers la pelouse", "Aménager le chemin de désir"),
        ("Trottoir interrompu, les piétons passent sur la voie", "Créer une continuité piétonne"),
    ),
    "mobilier urbain": (
        ("Bancs dégradés et peu utilisés", "Remplacer par du mobilier robuste"),
        ("Absence de corbeille près de l'aire de jeux", "Installer une corbeille"),
    ),
    "propreté": (
        ("Dépôts récurrents près du PAVE", "Renforcer la collecte et la sensibilisation"),
        ("Pied d'immeuble souillé", "Passage hebdomadaire de l'équipe de sur-entretien"),
    ),
    "signalétique": (
        ("Numérotation des halls illisible", "Refaire la signalétique des entrées"),
        ("Aucun plan du quartier à l'entrée", "Poser un plan d'orientation"),
    ),
}
