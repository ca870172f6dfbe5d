"""Build forms/bundled/site_assessment.xlsx, the bundled DTM site assessment (MSLA) XLSForm.

The spreadsheet is generated so its source can be reviewed as text: edit the rows below, run

    python -m forms.bundled.build_site_assessment

and commit both files. A test checks that the committed .xlsx matches what this script builds.
Bump VERSION whenever the questions change (ODK and the server key submissions by version).

Conventions (see docs/forms.md): names in CORE_FIELDS are a contract and must not change; only
core fields may be required; `hxl` holds the HXL hashtag of the column in exports; `sensitive`
marks personal data; P-code questions are text questions named `...admin<N>_pcode`.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

FORM_ID = "site_assessment"
VERSION = "2026112301"
TITLE = "DTM Site Assessment (MSLA)"
OUTPUT = Path(__file__).with_name("site_assessment.xlsx")

EN, FR = "English (en)", "Français (fr)"
SURVEY_COLUMNS = (
    "type",
    "name",
    f"label::{EN}",
    f"label::{FR}",
    f"hint::{EN}",
    f"hint::{FR}",
    "required",
    "relevant",
    "constraint",
    f"constraint_message::{EN}",
    f"constraint_message::{FR}",
    "appearance",
    "calculation",
    "hxl",
    "sensitive",
)
CHOICE_COLUMNS = ("list_name", "name", f"label::{EN}", f"label::{FR}")
SETTINGS = {
    "form_id": FORM_ID,
    "version": VERSION,
    "form_title": TITLE,
    "default_language": EN,
    "instance_name": "concat(${site_id}, ' round ', ${round})",
}

NON_NEGATIVE = (". >= 0", "Enter 0 or more.", "Saisissez 0 ou plus.")


def q(qtype, name, en="", fr="", *, hint=("", ""), constraint=("", "", ""), **extra):
    """One survey row; keyword arguments are the remaining columns."""
    row = {
        "type": qtype,
        "name": name,
        f"label::{EN}": en,
        f"label::{FR}": fr,
        f"hint::{EN}": hint[0],
        f"hint::{FR}": hint[1],
        "constraint": constraint[0],
        f"constraint_message::{EN}": constraint[1],
        f"constraint_message::{FR}": constraint[2],
    }
    for key, value in extra.items():
        row[key] = "yes" if value is True else value
    return row


def count(name, en, fr, hxl="", **extra):
    """A non-negative integer count, the most common question in this form."""
    extra.setdefault("constraint", NON_NEGATIVE)
    return q("integer", name, en, fr, hxl=hxl, **extra)


def group(name, en, fr, *rows, **extra):
    return [q("begin_group", name, en, fr, **extra), *rows, q("end_group", "")]


def _at_least(name, other, en_thing, fr_thing):
    return (
        f". >= 0 and (${{{other}}} = '' or . >= ${{{other}}})",
        f"{en_thing} (${{{name}}}) cannot be fewer than households (${{{other}}}).",
        f"{fr_thing} (${{{name}}}) ne peut pas être inférieur aux ménages (${{{other}}}).",
    )


SADD = [
    ("female_0_4", "Girls aged 0-4", "Filles de 0 à 4 ans", "#affected+idps+f+age0_4"),
    ("female_5_17", "Girls aged 5-17", "Filles de 5 à 17 ans", "#affected+idps+f+age5_17"),
    ("female_18_59", "Women aged 18-59", "Femmes de 18 à 59 ans", "#affected+idps+f+age18_59"),
    ("female_60_plus", "Women aged 60+", "Femmes de 60 ans et plus", "#affected+idps+f+age60_"),
    ("male_0_4", "Boys aged 0-4", "Garçons de 0 à 4 ans", "#affected+idps+m+age0_4"),
    ("male_5_17", "Boys aged 5-17", "Garçons de 5 à 17 ans", "#affected+idps+m+age5_17"),
    ("male_18_59", "Men aged 18-59", "Hommes de 18 à 59 ans", "#affected+idps+m+age18_59"),
    ("male_60_plus", "Men aged 60+", "Hommes de 60 ans et plus", "#affected+idps+m+age60_"),
]
SADD_TOTAL = " + ".join(f"coalesce(${{{name}}}, 0)" for name, *_ in SADD)
SADD_GIVEN = " or ".join(f"${{{name}}} != ''" for name, *_ in SADD)

SURVEY = [
    q("start", "start"),
    q("end", "end"),
    q("deviceid", "deviceid"),
    *group(
        "assessment",
        "Assessment",
        "Évaluation",
        count(
            "round",
            "Assessment round",
            "Cycle d'évaluation",
            "#x_round",
            # Optional: the server files an assessment without a round under the round
            # whose period contains its assessment date.
            constraint=(". >= 1", "The round is 1 or more.", "Le cycle est 1 ou plus."),
        ),
        q(
            "date",
            "assessment_date",
            "Date of assessment",
            "Date de l'évaluation",
            required=True,
            constraint=(
                ". <= today()",
                "The date cannot be in the future.",
                "La date ne peut pas être dans le futur.",
            ),
            hxl="#date+reported",
        ),
        q("text", "enumerator_name", "Enumerator name", "Nom de l'enquêteur", sensitive=True),
        count(
            "ki_count",
            "Number of key informants interviewed",
            "Nombre d'informateurs clés interrogés",
            hint=("DTM recommends at least two.", "La DTM recommande au moins deux."),
            constraint=(
                ". >= 1 and . <= 50",
                "Enter between 1 and 50 key informants.",
                "Saisissez entre 1 et 50 informateurs clés.",
            ),
        ),
        q(
            "select_multiple ki_type",
            "ki_types",
            "Types of key informants",
            "Types d'informateurs clés",
        ),
        q(
            "text",
            "ki_name",
            "Name of the main key informant",
            "Nom de l'informateur clé principal",
            sensitive=True,
        ),
        q(
            "text",
            "ki_phone",
            "Phone number of the main key informant",
            "Téléphone de l'informateur clé principal",
            appearance="numbers",
            constraint=(
                r"regex(., '^\+?[0-9 ]{6,20}$')",
                "Enter a phone number (digits, optionally starting with +).",
                "Saisissez un numéro de téléphone (chiffres, + au début possible).",
            ),
            sensitive=True,
        ),
    ),
    *group(
        "identification",
        "Site identification",
        "Identification du site",
        q(
            "text",
            "site_id",
            "Site ID",
            "Identifiant du site",
            hint=(
                "The ID from the site master list; it stays the same every round.",
                "L'identifiant de la liste des sites ; il ne change pas d'un cycle à l'autre.",
            ),
            required=True,
            hxl="#loc+code",
        ),
        q("text", "site_name", "Site name", "Nom du site", hxl="#loc+name"),
        q(
            "text",
            "site_alternate_name",
            "Other name of the site",
            "Autre nom du site",
            hxl="#loc+name+alt",
        ),
        q(
            "select_one site_type",
            "site_type",
            "Site type",
            "Type de site",
            required=True,
            hxl="#loc+type",
        ),
        q(
            "text",
            "site_type_other",
            "Other site type",
            "Autre type de site",
            relevant="${site_type} = 'other'",
        ),
        q("select_one site_status", "site_status", "Site status", "Statut du site", hxl="#status"),
        q(
            "date",
            "site_open_date",
            "Date the site opened",
            "Date d'ouverture du site",
            constraint=(
                ". <= today()",
                "The date cannot be in the future.",
                "La date ne peut pas être dans le futur.",
            ),
            hxl="#date+start",
        ),
        q(
            "date",
            "site_close_date",
            "Date the site closed",
            "Date de fermeture du site",
            relevant="${site_status} = 'closed'",
            constraint=(
                "${site_open_date} = '' or . >= ${site_open_date}",
                "The site cannot close before it opened.",
                "Le site ne peut pas fermer avant d'avoir ouvert.",
            ),
            hxl="#date+end",
        ),
        q(
            "text",
            "admin1_pcode",
            "Admin 1 (P-code)",
            "Admin 1 (P-code)",
            hint=("The P-code of the first-level area, e.g. SD04.", "Le P-code, ex. SD04."),
            hxl="#adm1+code",
        ),
        q("text", "admin2_pcode", "Admin 2 (P-code)", "Admin 2 (P-code)", hxl="#adm2+code"),
        q("text", "admin3_pcode", "Admin 3 (P-code)", "Admin 3 (P-code)", hxl="#adm3+code"),
        q(
            "geopoint",
            "location",
            "GPS location of the site",
            "Position GPS du site",
            hint=("Stand near the centre of the site.", "Placez-vous près du centre du site."),
            hxl="#geo+coord",
        ),
        q(
            "decimal",
            "site_area_m2",
            "Site area (m²)",
            "Superficie du site (m²)",
            constraint=(". > 0", "The area must be more than 0.", "La superficie doit dépasser 0."),
            hxl="#x_area+m2",
        ),
        q(
            "select_one land_ownership",
            "land_ownership",
            "Who owns the land?",
            "À qui appartient le terrain ?",
        ),
        q(
            "select_one previous_use",
            "site_previous_use",
            "What was the site used for before?",
            "À quoi servait le site auparavant ?",
        ),
    ),
    *group(
        "management",
        "Site management",
        "Gestion du site",
        q(
            "select_one yes_no",
            "site_management",
            "Is there a site management agency?",
            "Y a-t-il un gestionnaire de site ?",
        ),
        q(
            "text",
            "site_management_agency",
            "Name of the site management agency",
            "Nom du gestionnaire de site",
            relevant="${site_management} = 'yes'",
        ),
        q(
            "select_one yes_no",
            "camp_committee",
            "Is there a site committee?",
            "Y a-t-il un comité de site ?",
        ),
        q(
            "select_one yes_no",
            "women_in_committee",
            "Do women take part in the committee?",
            "Les femmes participent-elles au comité ?",
            relevant="${camp_committee} = 'yes'",
        ),
        q(
            "select_one yes_no",
            "complaints_mechanism",
            "Is there a way to make complaints?",
            "Existe-t-il un mécanisme de plaintes ?",
        ),
    ),
    *group(
        "population",
        "Population",
        "Population",
        q(
            "note",
            "population_note",
            "Count the displaced people living on the site today.",
            "Comptez les personnes déplacées vivant sur le site aujourd'hui.",
        ),
        count(
            "households",
            "Households",
            "Ménages",
            "#affected+idps+hh",
            required=True,
        ),
        count(
            "individuals",
            "Individuals",
            "Individus",
            "#affected+idps+ind",
            required=True,
            constraint=_at_least("individuals", "households", "Individuals", "Les individus"),
        ),
        *[count(name, en, fr, hxl) for name, en, fr, hxl in SADD],
        q("calculate", "sadd_total", calculation=SADD_TOTAL),
        q(
            "note",
            "sadd_mismatch_note",
            "The sex and age counts add up to ${sadd_total}, not ${individuals}. Please check.",
            "Les effectifs par sexe et âge totalisent ${sadd_total}, et non ${individuals}.",
            relevant=f"({SADD_GIVEN}) and ${{sadd_total}} != ${{individuals}}",
        ),
        count(
            "returnee_households",
            "Returnee households",
            "Ménages retournés",
            "#affected+returnees+hh",
        ),
        count(
            "returnee_individuals",
            "Returnee individuals",
            "Individus retournés",
            "#affected+returnees+ind",
            constraint=_at_least(
                "returnee_individuals", "returnee_households", "Returnees", "Les retournés"
            ),
        ),
        count(
            "pregnant_lactating_women",
            "Pregnant or breastfeeding women",
            "Femmes enceintes ou allaitantes",
            "#affected+idps+f+pregnant_lactating",
        ),
        count(
            "unaccompanied_children",
            "Unaccompanied or separated children",
            "Enfants non accompagnés ou séparés",
            "#affected+idps+children+unaccompanied",
        ),
        count(
            "persons_with_disabilities",
            "Persons with disabilities",
            "Personnes handicapées",
            "#affected+idps+disabled",
        ),
        count(
            "elderly_alone",
            "Older persons living alone",
            "Personnes âgées vivant seules",
            "#affected+idps+elderly+alone",
        ),
        count(
            "chronically_ill",
            "Persons with a chronic illness",
            "Personnes atteintes d'une maladie chronique",
            "#affected+idps+chronic_ill",
        ),
    ),
    *group(
        "displacement",
        "Displacement",
        "Déplacement",
        q(
            "select_one yes_no",
            "previously_displaced",
            "Were most people displaced before arriving here?",
            "La plupart des personnes avaient-elles déjà été déplacées ?",
        ),
        q(
            "select_one arrival_period",
            "arrival_period",
            "When did most people arrive?",
            "Quand la plupart des personnes sont-elles arrivées ?",
        ),
        q(
            "begin_repeat",
            "origins",
            "Place of origin",
            "Lieu d'origine",
            relevant="${individuals} > 0",
        ),
        q(
            "text",
            "origin_admin1_pcode",
            "Admin 1 of origin (P-code)",
            "Admin 1 d'origine (P-code)",
            hxl="#adm1+origin+code",
        ),
        q(
            "text",
            "origin_admin2_pcode",
            "Admin 2 of origin (P-code)",
            "Admin 2 d'origine (P-code)",
            hxl="#adm2+origin+code",
        ),
        count(
            "origin_households",
            "Households from this place",
            "Ménages venant de ce lieu",
            "#affected+idps+origin+hh",
        ),
        count(
            "origin_individuals",
            "Individuals from this place",
            "Individus venant de ce lieu",
            "#affected+idps+origin+ind",
            constraint=_at_least(
                "origin_individuals", "origin_households", "Individuals", "Les individus"
            ),
        ),
        q(
            "select_one displacement_reason",
            "displacement_reason",
            "Main reason for displacement",
            "Raison principale du déplacement",
            hxl="#cause+type",
        ),
        q(
            "text",
            "displacement_reason_other",
            "Other reason",
            "Autre raison",
            relevant="${displacement_reason} = 'other'",
        ),
        q("end_repeat", ""),
        q(
            "note",
            "origins_exceed_note",
            "Individuals from all places of origin are more than the individuals on the site.",
            "Les individus de tous les lieux d'origine dépassent ceux présents sur le site.",
            relevant="sum(${origin_individuals}) > ${individuals}",
        ),
    ),
    *group(
        "movements",
        "Movements since the last round",
        "Mouvements depuis le dernier cycle",
        count(
            "arrivals_households",
            "Households that arrived",
            "Ménages arrivés",
            "#affected+idps+arrivals+hh",
        ),
        count(
            "arrivals_individuals",
            "Individuals who arrived",
            "Individus arrivés",
            "#affected+idps+arrivals+ind",
            constraint=_at_least(
                "arrivals_individuals", "arrivals_households", "Arrivals", "Les arrivées"
            ),
        ),
        count(
            "departures_households",
            "Households that left",
            "Ménages partis",
            "#affected+idps+departures+hh",
        ),
        count(
            "departures_individuals",
            "Individuals who left",
            "Individus partis",
            "#affected+idps+departures+ind",
            constraint=_at_least(
                "departures_individuals", "departures_households", "Departures", "Les départs"
            ),
        ),
        q(
            "select_one departure_reason",
            "departure_reason",
            "Main reason people left",
            "Raison principale des départs",
            relevant="${departures_individuals} > 0",
        ),
    ),
    *group(
        "needs",
        "Priority needs",
        "Besoins prioritaires",
        q(
            "select_one need",
            "priority_need_1",
            "First priority need",
            "Premier besoin prioritaire",
            hxl="#sector+need+first",
        ),
        q(
            "select_one need",
            "priority_need_2",
            "Second priority need",
            "Deuxième besoin prioritaire",
            constraint=(
                ". != ${priority_need_1}",
                "Choose a need different from the first one.",
                "Choisissez un besoin différent du premier.",
            ),
            hxl="#sector+need+second",
        ),
        q(
            "select_one need",
            "priority_need_3",
            "Third priority need",
            "Troisième besoin prioritaire",
            constraint=(
                ". != ${priority_need_1} and . != ${priority_need_2}",
                "Choose a need different from the first two.",
                "Choisissez un besoin différent des deux premiers.",
            ),
            hxl="#sector+need+third",
        ),
    ),
    *group(
        "shelter",
        "Shelter and NFI",
        "Abris et articles non alimentaires",
        q(
            "select_one shelter_type",
            "shelter_type",
            "Most common shelter type",
            "Type d'abri le plus courant",
        ),
        count(
            "households_without_shelter",
            "Households sleeping without shelter",
            "Ménages dormant sans abri",
            constraint=(
                ". >= 0 and (${households} = '' or . <= ${households})",
                "Cannot be more than the households on the site (${households}).",
                "Ne peut pas dépasser le nombre de ménages du site (${households}).",
            ),
        ),
        q(
            "select_one nfi",
            "most_needed_nfi",
            "Most needed non-food item",
            "Article non alimentaire le plus nécessaire",
        ),
    ),
    *group(
        "wash",
        "Water, sanitation and hygiene",
        "Eau, hygiène et assainissement",
        q(
            "select_one water_source",
            "main_water_source",
            "Main source of drinking water",
            "Principale source d'eau de boisson",
        ),
        q(
            "select_one yes_no",
            "water_sufficient",
            "Is there enough water for drinking and cooking?",
            "Y a-t-il assez d'eau pour boire et cuisiner ?",
        ),
        count("functional_water_points", "Working water points", "Points d'eau fonctionnels"),
        count("functional_latrines", "Working latrines", "Latrines fonctionnelles"),
        q(
            "select_one yes_no",
            "latrines_separated",
            "Are latrines separated for women and men?",
            "Les latrines sont-elles séparées pour femmes et hommes ?",
            relevant="${functional_latrines} > 0",
        ),
        q(
            "select_one yes_no",
            "latrines_lockable",
            "Can latrines be locked from inside?",
            "Les latrines ferment-elles de l'intérieur ?",
            relevant="${functional_latrines} > 0",
        ),
        q(
            "select_one yes_no",
            "handwashing_facilities",
            "Are there handwashing points with soap?",
            "Y a-t-il des points de lavage des mains avec savon ?",
        ),
        q(
            "select_one yes_no",
            "open_defecation",
            "Is open defecation seen on the site?",
            "Observe-t-on de la défécation à l'air libre ?",
        ),
    ),
    *group(
        "health",
        "Health",
        "Santé",
        q(
            "select_one yes_no",
            "health_facility_access",
            "Can people reach a health facility?",
            "Les personnes ont-elles accès à un centre de santé ?",
        ),
        q(
            "select_one distance",
            "health_facility_distance",
            "Distance to the nearest health facility",
            "Distance jusqu'au centre de santé le plus proche",
            relevant="${health_facility_access} = 'yes'",
        ),
        q(
            "select_multiple health_problem",
            "main_health_problems",
            "Main health problems",
            "Principaux problèmes de santé",
        ),
    ),
    *group(
        "food_livelihoods",
        "Food and livelihoods",
        "Alimentation et moyens de subsistance",
        q(
            "select_one yes_no",
            "food_access",
            "Do most people have access to food?",
            "La plupart des personnes ont-elles accès à la nourriture ?",
        ),
        q(
            "select_one yes_no",
            "food_distribution",
            "Was food distributed in the last 30 days?",
            "Y a-t-il eu une distribution de vivres ces 30 derniers jours ?",
        ),
        q(
            "select_one income_source",
            "main_income_source",
            "Main source of income",
            "Principale source de revenus",
        ),
    ),
    *group(
        "education",
        "Education",
        "Éducation",
        q(
            "select_one attendance",
            "school_attendance",
            "How many school-age children go to school?",
            "Combien d'enfants d'âge scolaire vont à l'école ?",
        ),
        q(
            "select_multiple education_obstacle",
            "education_obstacles",
            "What keeps children from school?",
            "Qu'est-ce qui empêche les enfants d'aller à l'école ?",
            relevant="${school_attendance} != '' and ${school_attendance} != 'all'",
        ),
    ),
    *group(
        "protection",
        "Protection",
        "Protection",
        q(
            "select_one yes_no",
            "security_incidents",
            "Were there security incidents in the last 30 days?",
            "Y a-t-il eu des incidents de sécurité ces 30 derniers jours ?",
        ),
        q(
            "select_one yes_no",
            "lighting_at_night",
            "Is the site lit at night?",
            "Le site est-il éclairé la nuit ?",
        ),
        q(
            "select_one yes_no",
            "eviction_risk",
            "Is the site at risk of eviction?",
            "Le site est-il menacé d'expulsion ?",
        ),
        q(
            "select_one yes_no",
            "explosive_hazards",
            "Are mines or unexploded ordnance reported nearby?",
            "Des mines ou engins non explosés sont-ils signalés à proximité ?",
        ),
        q(
            "select_one yes_no",
            "documentation_lacking",
            "Do many people lack identity documents?",
            "Beaucoup de personnes manquent-elles de papiers d'identité ?",
        ),
    ),
    *group(
        "assistance",
        "Assistance",
        "Assistance",
        q(
            "select_one yes_no",
            "assistance_received",
            "Was assistance received in the last 30 days?",
            "Une assistance a-t-elle été reçue ces 30 derniers jours ?",
        ),
        q(
            "select_multiple assistance_type",
            "assistance_types",
            "Which assistance?",
            "Quelle assistance ?",
            relevant="${assistance_received} = 'yes'",
        ),
    ),
    q(
        "text",
        "comments",
        "Comments",
        "Commentaires",
        hint=(
            "Do not write names or other details that identify a person.",
            "N'écrivez ni noms ni détails permettant d'identifier une personne.",
        ),
        appearance="multiline",
        sensitive=True,
    ),
]

CHOICES = {
    "yes_no": [("yes", "Yes", "Oui"), ("no", "No", "Non")],
    "ki_type": [
        ("site_manager", "Site manager", "Gestionnaire de site"),
        ("camp_committee", "Site committee member", "Membre du comité de site"),
        ("community_leader", "Community leader", "Leader communautaire"),
        ("local_authority", "Local authority", "Autorité locale"),
        ("idp_representative", "Representative of displaced people", "Représentant des déplacés"),
        ("religious_leader", "Religious leader", "Chef religieux"),
        ("women_representative", "Women's representative", "Représentante des femmes"),
        ("other", "Other", "Autre"),
    ],
    "site_type": [
        ("camp", "Camp / planned site", "Camp / site planifié"),
        ("collective_centre", "Collective centre", "Centre collectif"),
        ("informal_settlement", "Informal settlement", "Site spontané"),
        ("host_community", "Host community", "Communauté d'accueil"),
        ("transit_centre", "Transit or reception centre", "Centre de transit"),
        ("other", "Other", "Autre"),
    ],
    "site_status": [
        ("open", "Open", "Ouvert"),
        ("closed", "Closed", "Fermé"),
        ("relocated", "Relocated", "Relocalisé"),
    ],
    "land_ownership": [
        ("public", "Public", "Public"),
        ("private", "Private", "Privé"),
        ("customary", "Customary", "Coutumier"),
        ("unknown", "Unknown", "Inconnu"),
    ],
    "previous_use": [
        ("school", "School", "École"),
        ("religious_building", "Religious building", "Lieu de culte"),
        ("public_building", "Other public building", "Autre bâtiment public"),
        ("open_field", "Open field", "Terrain ouvert"),
        ("private_land", "Private land", "Terrain privé"),
        ("other", "Other", "Autre"),
    ],
    "arrival_period": [
        ("under_3_months", "Less than 3 months ago", "Il y a moins de 3 mois"),
        ("3_to_6_months", "3 to 6 months ago", "Il y a 3 à 6 mois"),
        ("6_to_12_months", "6 to 12 months ago", "Il y a 6 à 12 mois"),
        ("1_to_2_years", "1 to 2 years ago", "Il y a 1 à 2 ans"),
        ("over_2_years", "More than 2 years ago", "Il y a plus de 2 ans"),
    ],
    "displacement_reason": [
        ("conflict", "Conflict", "Conflit"),
        ("natural_disaster", "Natural disaster", "Catastrophe naturelle"),
        ("communal_violence", "Communal violence", "Violence intercommunautaire"),
        ("eviction", "Eviction", "Expulsion"),
        ("other", "Other", "Autre"),
    ],
    "departure_reason": [
        ("return", "Return to place of origin", "Retour au lieu d'origine"),
        ("relocation", "Relocation to another site", "Relocalisation vers un autre site"),
        ("eviction", "Eviction", "Expulsion"),
        ("onward_movement", "Onward movement", "Poursuite du déplacement"),
        ("other", "Other", "Autre"),
    ],
    "need": [
        ("food", "Food", "Nourriture"),
        ("shelter", "Shelter", "Abri"),
        ("nfi", "Non-food items", "Articles non alimentaires"),
        ("water", "Water", "Eau"),
        ("sanitation", "Sanitation", "Assainissement"),
        ("health", "Health", "Santé"),
        ("education", "Education", "Éducation"),
        ("protection", "Protection", "Protection"),
        ("livelihoods", "Livelihoods", "Moyens de subsistance"),
        ("cash", "Cash", "Argent liquide"),
        ("documentation", "Documentation", "Documents d'identité"),
    ],
    "shelter_type": [
        ("tent", "Tent", "Tente"),
        ("makeshift", "Makeshift shelter", "Abri de fortune"),
        ("collective_building", "Collective building", "Bâtiment collectif"),
        ("host_family", "With a host family", "Famille d'accueil"),
        ("unfinished_building", "Unfinished building", "Bâtiment inachevé"),
        ("open_air", "No shelter (open air)", "Sans abri (à l'air libre)"),
        ("other", "Other", "Autre"),
    ],
    "nfi": [
        ("tarpaulin", "Tarpaulin", "Bâche"),
        ("blankets", "Blankets", "Couvertures"),
        ("mats", "Sleeping mats", "Nattes"),
        ("kitchen_set", "Kitchen set", "Kit de cuisine"),
        ("jerrycans", "Jerrycans", "Jerricans"),
        ("mosquito_nets", "Mosquito nets", "Moustiquaires"),
        ("solar_lamps", "Solar lamps", "Lampes solaires"),
        ("other", "Other", "Autre"),
    ],
    "water_source": [
        ("piped", "Piped water", "Eau courante"),
        ("tap_stand", "Public tap", "Borne-fontaine"),
        ("borehole", "Borehole", "Forage"),
        ("protected_well", "Protected well", "Puits protégé"),
        ("unprotected_well", "Unprotected well", "Puits non protégé"),
        ("water_trucking", "Water trucking", "Camion-citerne"),
        ("surface_water", "River, lake or pond", "Rivière, lac ou mare"),
        ("bottled", "Bottled water", "Eau en bouteille"),
        ("other", "Other", "Autre"),
    ],
    "distance": [
        ("under_1km", "Less than 1 km", "Moins de 1 km"),
        ("1_to_5km", "1 to 5 km", "1 à 5 km"),
        ("over_5km", "More than 5 km", "Plus de 5 km"),
    ],
    "health_problem": [
        ("malaria", "Malaria", "Paludisme"),
        ("diarrhoea", "Diarrhoea", "Diarrhée"),
        ("respiratory", "Respiratory infections", "Infections respiratoires"),
        ("malnutrition", "Malnutrition", "Malnutrition"),
        ("skin_disease", "Skin diseases", "Maladies de la peau"),
        ("other", "Other", "Autre"),
    ],
    "income_source": [
        ("daily_labour", "Daily labour", "Travail journalier"),
        ("agriculture", "Agriculture", "Agriculture"),
        ("livestock", "Livestock", "Élevage"),
        ("petty_trade", "Small trade", "Petit commerce"),
        ("assistance", "Humanitarian assistance", "Aide humanitaire"),
        ("remittances", "Money from relatives", "Transferts de proches"),
        ("none", "No income", "Aucun revenu"),
        ("other", "Other", "Autre"),
    ],
    "attendance": [
        ("none", "None", "Aucun"),
        ("less_than_half", "Less than half", "Moins de la moitié"),
        ("about_half", "About half", "Environ la moitié"),
        ("more_than_half", "More than half", "Plus de la moitié"),
        ("all", "All or almost all", "Tous ou presque"),
    ],
    "education_obstacle": [
        ("cost", "Cost", "Coût"),
        ("distance", "Distance", "Distance"),
        ("school_used_as_shelter", "School used as shelter", "École utilisée comme abri"),
        ("no_teachers", "No teachers", "Pas d'enseignants"),
        ("child_labour", "Children work", "Travail des enfants"),
        ("insecurity", "Insecurity", "Insécurité"),
        ("other", "Other", "Autre"),
    ],
    "assistance_type": [
        ("food", "Food", "Nourriture"),
        ("cash", "Cash", "Argent liquide"),
        ("nfi", "Non-food items", "Articles non alimentaires"),
        ("shelter", "Shelter", "Abri"),
        ("wash", "Water and sanitation", "Eau et assainissement"),
        ("health", "Health", "Santé"),
        ("protection", "Protection", "Protection"),
        ("other", "Other", "Autre"),
    ],
}


def sheet_rows() -> dict[str, list[list[str]]]:
    """The three sheets as rows of cell text, header first (what the test compares)."""
    survey = [list(SURVEY_COLUMNS)]
    survey += [[row.get(col, "") for col in SURVEY_COLUMNS] for row in SURVEY]
    choices = [list(CHOICE_COLUMNS)]
    choices += [[name, c, en, fr] for name, items in CHOICES.items() for c, en, fr in items]
    settings = [list(SETTINGS), list(SETTINGS.values())]
    return {"survey": survey, "choices": choices, "settings": settings}


def build(path: Path = OUTPUT) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheet_rows().items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append([cell if cell != "" else None for cell in row])
    # Fixed document dates keep the file from changing on every rebuild.
    workbook.properties.created = workbook.properties.modified = datetime(2026, 11, 23)
    workbook.save(path)
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT))
