<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="nl_NL">
    <context>
        <name>GeoPin</name>
        <message>
            <source />
            <translation type="vanished" />
        </message>
        <message>
            <source> ({0:.0f} m from its EXIF position)</source>
            <translation type="vanished"> ({0:.0f} m van de EXIF-positie)</translation>
        </message>
        <message>
            <source> ({0} m from its EXIF position)</source>
            <translation> ({0} m van de EXIF-positie)</translation>
        </message>
        <message>
            <source> at {0:.6f}, {1:.6f}</source>
            <translation type="vanished"> op {0:.6f}, {1:.6f}</translation>
        </message>
        <message>
            <source> at {0}, {1}</source>
            <translation> op {0}, {1}</translation>
        </message>
        <message>
            <source>#{0} · sim {1:.3f} · {2} inliers{3}
{4} · {5:.0f} m from estimate</source>
            <translation type="vanished">#{0} · overeenkomst {1:.3f} · {2} inliers{3}
{4} · {5:.0f} m van de schatting</translation>
        </message>
        <message>
            <source>#{0} · similarity {1} · {2} inliers</source>
            <translation>#{0} · gelijkenis {1} · {2} kloppende punten</translation>
        </message>
        <message>
            <source>'My own layers' needs at least one of the parcel, building or address layers</source>
            <translation>'Mijn eigen lagen' vraagt minstens één van de perceel-, gebouw- of adreslagen</translation>
        </message>
        <message>
            <source>'My polygon layer' needs a building outline layer</source>
            <translation>'Mijn polygoonlaag' heeft een laag met gebouwomtrekken nodig</translation>
        </message>
        <message>
            <source>A 360° panorama, located from {0} views (compass heading unknown)</source>
            <translation>Een 360°-panorama, gelokaliseerd met {0} beelden (kompasrichting onbekend)</translation>
        </message>
        <message>
            <source>A 360° panorama, located from {0} views facing {1}</source>
            <translation>Een 360°-panorama, gelokaliseerd met {0} beelden in de richtingen {1}</translation>
        </message>
        <message>
            <source>A GeoPin reference database (.gpkg) made by Build reference database.</source>
            <translation>Een GeoPin-referentiedatabase (.gpkg), gemaakt met Referentiedatabase bouwen.</translation>
        </message>
        <message>
            <source>A background map added under the results (downloaded from the internet)</source>
            <translation>Een achtergrondkaart onder de resultaten (van internet gehaald)</translation>
        </message>
        <message>
            <source>A folder of geotagged photos and panoramas</source>
            <translation>Een map met foto's en panorama's met GPS-positie</translation>
        </message>
        <message>
            <source>API address (a Panoramax instance, or a mirror)</source>
            <translation>API-adres (een Panoramax-instantie of een mirror)</translation>
        </message>
        <message>
            <source>Access token</source>
            <translation>Toegangstoken</translation>
        </message>
        <message>
            <source>Add to this existing reference database</source>
            <translation>Toevoegen aan deze bestaande referentiedatabase</translation>
        </message>
        <message>
            <source>Added {0} local features to {1} stored views (no re-embedding)</source>
            <translation>{0}-kenmerken toegevoegd aan {1} opgeslagen beelden (zonder opnieuw te embedden)</translation>
        </message>
        <message>
            <source>Address layer (own data)</source>
            <translation>Adreslaag (eigen gegevens)</translation>
        </message>
        <message>
            <source>Addresses</source>
            <translation>Adressen</translation>
        </message>
        <message>
            <source>Advanced</source>
            <translation>Geavanceerd</translation>
        </message>
        <message>
            <source>Album estimates</source>
            <translation>Albumschattingen</translation>
        </message>
        <message>
            <source>Album track</source>
            <translation>Albumroute</translation>
        </message>
        <message>
            <source>Album tracks</source>
            <translation>Albumroutes</translation>
        </message>
        <message>
            <source>Album: a pause longer than this starts a new album (minutes)</source>
            <translation>Album: een pauze langer dan dit begint een nieuw album (minuten)</translation>
        </message>
        <message>
            <source>Album: field naming the album</source>
            <translation>Album: veld met de naam van het album</translation>
        </message>
        <message>
            <source>Album: moving by</source>
            <translation>Album: verplaatsing te</translation>
        </message>
        <message>
            <source>Album: table naming each photo's album</source>
            <translation>Album: tabel met het album van elke foto</translation>
        </message>
        <message>
            <source>Albums</source>
            <translation>Albums</translation>
        </message>
        <message>
            <source>Albums by a field need a table and its album field (Album: table naming each photo's album)</source>
            <translation>Albums per veld hebben een tabel en het albumveld daarvan nodig (Album: tabel met het album van elke foto)</translation>
        </message>
        <message>
            <source>Albums located jointly in {0} s</source>
            <translation>Albums samen gelokaliseerd in {0} s</translation>
        </message>
        <message>
            <source>All dependencies are installed and import correctly.</source>
            <translation>Alle afhankelijkheden zijn geïnstalleerd en laten zich correct importeren.</translation>
        </message>
        <message>
            <source>All located photos in one table, with CSV export</source>
            <translation>Alle gelokaliseerde foto's in één tabel, met CSV-export</translation>
        </message>
        <message>
            <source>All photos one album</source>
            <translation>Alle foto's één album</translation>
        </message>
        <message>
            <source>Amsterdam panoramas (City of Amsterdam)</source>
            <translation>Amsterdamse panorama's (gemeente Amsterdam)</translation>
        </message>
        <message>
            <source>An existing GeoPin database: the new views are added to it (images it already holds are skipped). Leave empty to create a new database below.</source>
            <translation>Een bestaande GeoPin-database: de nieuwe aanzichten worden eraan toegevoegd (beelden die er al in zitten worden overgeslagen). Laat leeg om hieronder een nieuwe database te maken.</translation>
        </message>
        <message>
            <source>Area (extent)</source>
            <translation>Gebied (extent)</translation>
        </message>
        <message>
            <source>Area: the map view ({0})</source>
            <translation>Gebied: het kaartbeeld ({0})</translation>
        </message>
        <message>
            <source>Area: wherever the photos were taken (their EXIF GPS)</source>
            <translation>Gebied: waar de foto's gemaakt zijn (hun EXIF-GPS)</translation>
        </message>
        <message>
            <source>Asking PDOK for parcels, buildings and addresses…</source>
            <translation>PDOK wordt gevraagd om percelen, gebouwen en adressen…</translation>
        </message>
        <message>
            <source>At most this many images</source>
            <translation>Hoogstens zoveel beelden</translation>
        </message>
        <message>
            <source>At most this many queries (0: all)</source>
            <translation>Hoogstens zoveel query's (0: alle)</translation>
        </message>
        <message>
            <source>Authentication configuration (access token)</source>
            <translation>Authenticatieconfiguratie (toegangstoken)</translation>
        </message>
        <message>
            <source>BAG pand</source>
            <translation>BAG-pand</translation>
        </message>
        <message>
            <source>BGT pand</source>
            <translation>BGT-pand</translation>
        </message>
        <message>
            <source>BRK parcels, BAG buildings and addresses as live layers (PDOK OGC API)</source>
            <translation>BRK-percelen, BAG-panden en adressen als live lagen (PDOK OGC API)</translation>
        </message>
        <message>
            <source>Background map</source>
            <translation>Achtergrondkaart</translation>
        </message>
        <message>
            <source>Before the first photo</source>
            <translation>Voor de eerste foto</translation>
        </message>
        <message>
            <source>Best reference</source>
            <translation>Beste referentie</translation>
        </message>
        <message>
            <source>Browse photos…</source>
            <translation>Foto's kiezen…</translation>
        </message>
        <message>
            <source>Browse photo…</source>
            <translation type="vanished">Foto kiezen…</translation>
        </message>
        <message>
            <source>Build a reference database of street-level imagery for the area of the map view</source>
            <translation>Bouw een referentiedatabase van straatbeelden voor het gebied van de kaartweergave</translation>
        </message>
        <message>
            <source>Build reference database</source>
            <translation>Referentiedatabase bouwen</translation>
        </message>
        <message>
            <source>Building footprints (any CRS), e.g. BAG panden you downloaded.</source>
            <translation>Gebouwomtrekken (elk CRS), bijvoorbeeld BAG-panden die u hebt gedownload.</translation>
        </message>
        <message>
            <source>Building layer</source>
            <translation>Gebouwlaag</translation>
        </message>
        <message>
            <source>Building layer (own data)</source>
            <translation>Gebouwlaag (eigen gegevens)</translation>
        </message>
        <message>
            <source>Building outline layer (for 'My polygon layer')</source>
            <translation>Laag met gebouwomtrekken (voor 'Mijn polygoonlaag')</translation>
        </message>
        <message>
            <source>Building outlines</source>
            <translation>Gebouwomtrekken</translation>
        </message>
        <message>
            <source>Building outlines from PDOK BAG, cached in {0}</source>
            <translation>Gebouwomtrekken van PDOK BAG, bewaard in {0}</translation>
        </message>
        <message>
            <source>Building outlines give a single bearing line its range and keep the camera out of buildings</source>
            <translation>Gebouwomtrekken geven een enkele richtingslijn haar afstand en houden de camera buiten gebouwen</translation>
        </message>
        <message>
            <source>Buildings</source>
            <translation>Gebouwen</translation>
        </message>
        <message>
            <source>Buildings (in the photo)</source>
            <translation>Gebouwen (op de foto)</translation>
        </message>
        <message>
            <source>Buildings from (PDOK)</source>
            <translation>Gebouwen uit (PDOK)</translation>
        </message>
        <message>
            <source>By a field of a table</source>
            <translation>Volgens een veld van een tabel</translation>
        </message>
        <message>
            <source>By capture time and camera</source>
            <translation>Volgens opnametijd en camera</translation>
        </message>
        <message>
            <source>CSV files (*.csv)</source>
            <translation>CSV-bestanden (*.csv)</translation>
        </message>
        <message>
            <source>Camera heading {0}°</source>
            <translation>Kijkrichting van de camera {0}°</translation>
        </message>
        <message>
            <source>Camera heading {0}°, pinned by view {1} (#{2})</source>
            <translation>Kijkrichting van de camera {0}°, vastgelegd door beeld {1} (#{2})</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>Annuleren</translation>
        </message>
        <message>
            <source>Canceled: the database holds every image committed before the cancel; run again to add the rest.</source>
            <translation>Geannuleerd: de database bevat elk beeld dat vóór het annuleren is vastgelegd; start opnieuw om de rest toe te voegen.</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>Geannuleerd</translation>
        </message>
        <message>
            <source>Cancelled; the views stored so far stay in the database and a new run continues it.</source>
            <translation>Geannuleerd; de tot nu toe opgeslagen aanzichten blijven in de database en een nieuwe run gaat verder.</translation>
        </message>
        <message>
            <source>Cancelling…</source>
            <translation>Bezig met annuleren…</translation>
        </message>
        <message>
            <source>Candidates</source>
            <translation>Kandidaten</translation>
        </message>
        <message>
            <source>Candidates retrieved per photo</source>
            <translation>Opgehaalde kandidaten per foto</translation>
        </message>
        <message>
            <source>Candidates verified per photo</source>
            <translation>Geverifieerde kandidaten per foto</translation>
        </message>
        <message>
            <source>Candidates — {0}</source>
            <translation>Kandidaten — {0}</translation>
        </message>
        <message>
            <source>Cannot find QGIS's own Python {0} (in {1}); install the packages by hand with that interpreter (see the GeoPin README).</source>
            <translation>Kan de eigen Python {0} van QGIS (in {1}) niet vinden; installeer de pakketten met de hand met die interpreter (zie de GeoPin-README).</translation>
        </message>
        <message>
            <source>Cannot load the models: {0}. Build them with `make models` or install them from the GeoPin menu.</source>
            <translation type="vanished">De modellen kunnen niet worden geladen: {0}. Bouw ze met `make models` of installeer ze via het GeoPin-menu.</translation>
        </message>
        <message>
            <source>Cannot load the models: {0}. Install them from Plugins ▸ GeoPin ▸ Models… (a models ZIP or an ONNX file with its card); the plugin ZIP ships them.</source>
            <translation>Kan de modellen niet laden: {0}. Installeer ze via Plugins ▸ GeoPin ▸ Modellen… (een modellen-ZIP of een ONNX-bestand met zijn modelkaart); de plugin-ZIP bevat ze.</translation>
        </message>
        <message>
            <source>Cannot make the background map {0}</source>
            <translation>Kan de achtergrondkaart {0} niet maken</translation>
        </message>
        <message>
            <source>Cannot read the coordinates file: {0}</source>
            <translation>Kan het coördinatenbestand niet lezen: {0}</translation>
        </message>
        <message>
            <source>Cannot read the posterior raster {0}</source>
            <translation>Kan het posterior-raster {0} niet lezen</translation>
        </message>
        <message>
            <source>Cannot read {0}</source>
            <translation>Kan {0} niet lezen</translation>
        </message>
        <message>
            <source>Cannot replace the results of {0} in {1}</source>
            <translation type="vanished">Kan de resultaten van {0} in {1} niet vervangen</translation>
        </message>
        <message>
            <source>Cannot transform the point of {0}: {1}</source>
            <translation>Kan het punt van {0} niet transformeren: {1}</translation>
        </message>
        <message>
            <source>Cannot use the reference database: {0}</source>
            <translation>De referentiedatabase is niet bruikbaar: {0}</translation>
        </message>
        <message>
            <source>Cannot write the posterior raster {0}: {1}</source>
            <translation>Kan het posterior-raster {0} niet schrijven: {1}</translation>
        </message>
        <message>
            <source>Cannot write the results of {0} to {1}</source>
            <translation type="vanished">Kan de resultaten van {0} niet naar {1} schrijven</translation>
        </message>
        <message>
            <source>Cannot write {0}</source>
            <translation>Kan {0} niet schrijven</translation>
        </message>
        <message>
            <source>Cannot write {0} to {1}: {2}</source>
            <translation>Kan {0} niet naar {1} schrijven: {2}</translation>
        </message>
        <message>
            <source>Captured on or after</source>
            <translation>Opgenomen op of na</translation>
        </message>
        <message>
            <source>Captured on or before</source>
            <translation>Opgenomen op of vóór</translation>
        </message>
        <message>
            <source>Choose a GeoPin reference database</source>
            <translation>Kies een GeoPin-referentiedatabase</translation>
        </message>
        <message>
            <source>Choose a photo</source>
            <translation type="vanished">Kies een foto</translation>
        </message>
        <message>
            <source>Choose a polygon layer for the building outlines</source>
            <translation>Kies een polygoonlaag voor de gebouwomtrekken</translation>
        </message>
        <message>
            <source>Choose a polygon layer for the search area</source>
            <translation>Kies een polygoonlaag voor het zoekgebied</translation>
        </message>
        <message>
            <source>Choose a reference database</source>
            <translation>Kies een referentiedatabase</translation>
        </message>
        <message>
            <source>Choose an existing GeoPin reference database</source>
            <translation>Kies een bestaande GeoPin-referentiedatabase</translation>
        </message>
        <message>
            <source>Choose an existing reference database first.</source>
            <translation>Kies eerst een bestaande referentiedatabase.</translation>
        </message>
        <message>
            <source>Choose one or more photos to locate</source>
            <translation>Kies een of meer foto's om te lokaliseren</translation>
        </message>
        <message>
            <source>Choose photos</source>
            <translation>Foto's kiezen</translation>
        </message>
        <message>
            <source>Choose the folder with the photos.</source>
            <translation>Kies de map met de foto's.</translation>
        </message>
        <message>
            <source>Choose where to save the new database.</source>
            <translation>Kies waar de nieuwe database wordt opgeslagen.</translation>
        </message>
        <message>
            <source>Choose…</source>
            <translation>Kiezen…</translation>
        </message>
        <message>
            <source>Clear</source>
            <translation>Leegmaken</translation>
        </message>
        <message>
            <source>Click a row to show it on the map</source>
            <translation>Klik op een rij om die op de kaart te tonen</translation>
        </message>
        <message>
            <source>Computing views in {0} worker processes</source>
            <translation>Beelden berekenen in {0} werkprocessen</translation>
        </message>
        <message>
            <source>Confidence</source>
            <translation>Betrouwbaarheid</translation>
        </message>
        <message>
            <source>Coordinates CSV (file, lat, lon[, heading, capture_time])</source>
            <translation>Coördinaten-CSV (file, lat, lon[, heading, capture_time])</translation>
        </message>
        <message>
            <source>Coordinates file not found: {0}</source>
            <translation>Coördinatenbestand niet gevonden: {0}</translation>
        </message>
        <message>
            <source>Coordinates point layer (instead of a CSV)</source>
            <translation>Puntlaag met coördinaten (in plaats van een CSV)</translation>
        </message>
        <message>
            <source>Could not add layers: {0}</source>
            <translation>Kon geen lagen toevoegen: {0}</translation>
        </message>
        <message>
            <source>Could not get parcels and addresses: {0}</source>
            <translation>Kon geen percelen en adressen ophalen: {0}</translation>
        </message>
        <message>
            <source>Could not install models from {0}: {1}</source>
            <translation>Kan de modellen uit {0} niet installeren: {1}</translation>
        </message>
        <message>
            <source>Could not install {0}: {1}</source>
            <translation>Kan {0} niet installeren: {1}</translation>
        </message>
        <message>
            <source>Could not locate the albums: {0}</source>
            <translation>Kon de albums niet lokaliseren: {0}</translation>
        </message>
        <message>
            <source>Could not open the PDOK layers (see the GeoPin log)</source>
            <translation>Kon de PDOK-lagen niet openen (zie het GeoPin-logboek)</translation>
        </message>
        <message>
            <source>Could not start Python ({0}): {1}</source>
            <translation>Kan Python niet starten ({0}): {1}</translation>
        </message>
        <message>
            <source>Create</source>
            <translation>Maken</translation>
        </message>
        <message>
            <source>Create for the map view…</source>
            <translation>Maken voor het kaartbeeld…</translation>
        </message>
        <message>
            <source>Created {0}; Locate now searches it.</source>
            <translation>{0} gemaakt; Lokaliseren zoekt er nu in.</translation>
        </message>
        <message>
            <source>Creating {0}…</source>
            <translation>{0} wordt gemaakt…</translation>
        </message>
        <message>
            <source>Custom: the queries and references below</source>
            <translation>Eigen: de query's en referenties hieronder</translation>
        </message>
        <message>
            <source>Cycling (8 m/s)</source>
            <translation>Fietsen (8 m/s)</translation>
        </message>
        <message>
            <source>Done in {0:.1f} s</source>
            <translation type="vanished">Klaar in {0:.1f} s</translation>
        </message>
        <message>
            <source>Done in {0} s</source>
            <translation>Klaar in {0} s</translation>
        </message>
        <message>
            <source>Done: {0} photos in {1} s</source>
            <translation>Klaar: {0} foto's in {1} s</translation>
        </message>
        <message>
            <source>Download {0:.0f} MB and install</source>
            <translation>{0:.0f} MB downloaden en installeren</translation>
        </message>
        <message>
            <source>Driving (20 m/s)</source>
            <translation>Rijden (20 m/s)</translation>
        </message>
        <message>
            <source>Drop a photo here</source>
            <translation type="vanished">Sleep een foto hierheen</translation>
        </message>
        <message>
            <source>Drop photos here</source>
            <translation>Sleep foto's hierheen</translation>
        </message>
        <message>
            <source>Drop photos or a folder of photos here</source>
            <translation>Sleep foto's of een map met foto's hierheen</translation>
        </message>
        <message>
            <source>EXIF position {0:.6f}, {1:.6f}</source>
            <translation type="vanished">EXIF-positie {0:.6f}, {1:.6f}</translation>
        </message>
        <message>
            <source>EXIF position {0}, {1}</source>
            <translation>EXIF-positie {0}, {1}</translation>
        </message>
        <message>
            <source>Embedding</source>
            <translation>Inbedden</translation>
        </message>
        <message>
            <source>Embedding model</source>
            <translation>Embeddingmodel</translation>
        </message>
        <message>
            <source>Estimate</source>
            <translation type="vanished">Schatting</translation>
        </message>
        <message>
            <source>Estimate {0:.6f}, {1:.6f} (RD {2:.0f}, {3:.0f})</source>
            <translation type="vanished">Schatting {0:.6f}, {1:.6f} (RD {2:.0f}, {3:.0f})</translation>
        </message>
        <message>
            <source>Estimate {0}, {1} (RD {2}, {3})</source>
            <translation>Schatting {0}, {1} (RD {2}, {3})</translation>
        </message>
        <message>
            <source>Estimate — {0}</source>
            <translation>Schatting — {0}</translation>
        </message>
        <message>
            <source>Estimates</source>
            <translation>Schattingen</translation>
        </message>
        <message>
            <source>Estimates (from Geolocate photos)</source>
            <translation>Schattingen (uit Foto's geolokaliseren)</translation>
        </message>
        <message>
            <source>Estimating the location</source>
            <translation>Locatie schatten</translation>
        </message>
        <message>
            <source>Evaluate geolocation accuracy</source>
            <translation>Nauwkeurigheid van de geolocatie meten</translation>
        </message>
        <message>
            <source>Everywhere</source>
            <translation>Overal</translation>
        </message>
        <message>
            <source>Export CSV</source>
            <translation>CSV exporteren</translation>
        </message>
        <message>
            <source>Export CSV…</source>
            <translation>CSV exporteren…</translation>
        </message>
        <message>
            <source>Facades give a single matched reference's bearing its distance, and the camera is kept out of buildings. PDOK BAG is fetched only around the matched references and cached.</source>
            <translation>Gevels geven de richting vanaf één overeenkomende referentie een afstand, en de camera blijft buiten gebouwen. PDOK BAG wordt alleen rond de overeenkomende referenties opgehaald en bewaard.</translation>
        </message>
        <message>
            <source>Farthest facade in view (m)</source>
            <translation>Verste gevel in beeld (m)</translation>
        </message>
        <message>
            <source>File</source>
            <translation>Bestand</translation>
        </message>
        <message>
            <source>Files that could not be indexed</source>
            <translation>Bestanden die niet geïndexeerd konden worden</translation>
        </message>
        <message>
            <source>Find parcels and addresses</source>
            <translation>Percelen en adressen zoeken</translation>
        </message>
        <message>
            <source>Find where each photo of the list was taken</source>
            <translation>Bepaal waar elke foto van de lijst is genomen</translation>
        </message>
        <message>
            <source>Finding the packages for this QGIS…</source>
            <translation>Pakketten voor deze QGIS zoeken…</translation>
        </message>
        <message>
            <source>Finds street-level images inside an area through a public API (Mapillary, Panoramax, KartaView, Mapilio or the City of Amsterdam panoramas), downloads them and adds them to a reference database with their position, heading, capture time, source id, licence and attribution. 360° panoramas are cut into perspective views. When the area holds more images than the maximum, a spatially even sample is taken. Images already in the database are skipped, so an interrupted import can simply be run again. Mapillary needs an access token: store it in QGIS Settings ▸ Options ▸ Authentication (for example as an API header or in the password of a Basic configuration) and choose it as the authentication configuration. Respect each source's licence and terms of use.</source>
            <translation>Zoekt straatbeelden binnen een gebied via een openbare API (Mapillary, Panoramax, KartaView, Mapilio of de panorama's van de gemeente Amsterdam), downloadt ze en voegt ze toe aan een referentiedatabase met positie, kijkrichting, opnametijd, bron-id, licentie en naamsvermelding. 360°-panorama's worden in perspectiefbeelden gesneden. Bevat het gebied meer beelden dan het maximum, dan wordt een ruimtelijk gelijkmatige steekproef genomen. Beelden die al in de database staan worden overgeslagen, dus een onderbroken import kan gewoon opnieuw worden gestart. Mapillary vereist een toegangstoken: sla het op in QGIS Instellingen ▸ Opties ▸ Authenticatie (bijvoorbeeld als API-header of als wachtwoord van een Basic-configuratie) en kies het als authenticatieconfiguratie. Respecteer de licentie en gebruiksvoorwaarden van elke bron.</translation>
        </message>
        <message>
            <source>Finds where photos were taken from their pixels alone, using a GeoPin reference database.

&lt;b&gt;Photos or folders of photos&lt;/b&gt;: one or more photos; a folder adds its images.
&lt;b&gt;Reference database&lt;/b&gt;: a GeoPin database (Build reference database); prefilled with the one the GeoPin panel last used.
&lt;b&gt;Candidates retrieved per photo&lt;/b&gt;: the most similar reference views searched.
&lt;b&gt;Candidates verified per photo&lt;/b&gt;: how many of them are checked geometrically with local features (more: slower, surer).
&lt;b&gt;Search only inside these polygons / this extent&lt;/b&gt;: optional limits of the search.
&lt;b&gt;Estimates&lt;/b&gt; (required): one row per photo with the best location, a calibrated confidence (confident / uncertain / no match) and an error radius; a "no match" has no point.
&lt;b&gt;Candidates&lt;/b&gt;, &lt;b&gt;Footprints&lt;/b&gt; (50 % and 90 % regions), &lt;b&gt;Posterior density&lt;/b&gt;: optional; one posterior raster per photo.

An unreadable photo gets an error row and the batch continues. All outputs are in EPSG:28992 (RD New).</source>
            <translation type="vanished">Zoekt waar foto's genomen zijn, alleen uit hun pixels, met een GeoPin-referentiedatabase.

&lt;b&gt;Foto's of mappen met foto's&lt;/b&gt;: een of meer foto's; een map voegt zijn afbeeldingen toe.
&lt;b&gt;Referentiedatabase&lt;/b&gt;: een GeoPin-database (Referentiedatabase bouwen); vooraf ingevuld met de database die het GeoPin-paneel het laatst gebruikte.
&lt;b&gt;Opgehaalde kandidaten per foto&lt;/b&gt;: de meest gelijkende referentiebeelden die worden gezocht.
&lt;b&gt;Geverifieerde kandidaten per foto&lt;/b&gt;: hoeveel daarvan geometrisch met lokale kenmerken worden gecontroleerd (meer: trager, zekerder).
&lt;b&gt;Zoek alleen binnen deze polygonen / deze extent&lt;/b&gt;: optionele grenzen van de zoektocht.
&lt;b&gt;Schattingen&lt;/b&gt; (verplicht): één rij per foto met de beste locatie, een gekalibreerde betrouwbaarheid (zeker / onzeker / geen overeenkomst) en een foutstraal; een "geen overeenkomst" heeft geen punt.
&lt;b&gt;Kandidaten&lt;/b&gt;, &lt;b&gt;Gebieden&lt;/b&gt; (50 %- en 90 %-gebieden), &lt;b&gt;Posterior-dichtheid&lt;/b&gt;: optioneel; één posterior-raster per foto.

Een onleesbare foto krijgt een foutrij en de batch gaat door. Alle uitvoer is in EPSG:28992 (RD New).</translation>
        </message>
        <message>
            <source>Finds where photos were taken from their pixels alone, using a GeoPin reference database.

&lt;b&gt;Photos or folders of photos&lt;/b&gt;: one or more photos; a folder adds its images.
&lt;b&gt;Reference database&lt;/b&gt;: a GeoPin database (Build reference database); prefilled with the one the GeoPin panel last used.
&lt;b&gt;Candidates retrieved per photo&lt;/b&gt;: the most similar reference views searched.
&lt;b&gt;Candidates verified per photo&lt;/b&gt;: how many of them are checked geometrically with local features (more: slower, surer).
&lt;b&gt;Search only inside these polygons / this extent&lt;/b&gt;: optional limits of the search.
&lt;b&gt;Estimates&lt;/b&gt; (required): one row per photo with the best location, a calibrated confidence (confident / uncertain / no match) and an error radius; a "no match" has no point.
&lt;b&gt;Candidates&lt;/b&gt;, &lt;b&gt;Footprints&lt;/b&gt; (50 % and 90 % regions), &lt;b&gt;Posterior density&lt;/b&gt;: optional; one posterior raster per photo.
&lt;b&gt;View cones&lt;/b&gt;: optional; where each located camera looked: from the estimate along the camera heading, as wide as the photo's field of view (from EXIF, else estimated). Photos without a heading get none; the log says why.

An unreadable photo gets an error row and the batch continues. All outputs are in EPSG:28992 (RD New).</source>
            <translation>Zoekt waar foto's genomen zijn, alleen uit hun pixels, met een GeoPin-referentiedatabase.

&lt;b&gt;Foto's of mappen met foto's&lt;/b&gt;: een of meer foto's; een map voegt zijn afbeeldingen toe.
&lt;b&gt;Referentiedatabase&lt;/b&gt;: een GeoPin-database (Referentiedatabase bouwen); vooraf ingevuld met de database die het GeoPin-paneel het laatst gebruikte.
&lt;b&gt;Opgehaalde kandidaten per foto&lt;/b&gt;: de meest gelijkende referentiebeelden die worden gezocht.
&lt;b&gt;Geverifieerde kandidaten per foto&lt;/b&gt;: hoeveel daarvan geometrisch met lokale kenmerken worden gecontroleerd (meer: trager, zekerder).
&lt;b&gt;Zoek alleen binnen deze polygonen / deze extent&lt;/b&gt;: optionele grenzen van de zoektocht.
&lt;b&gt;Schattingen&lt;/b&gt; (verplicht): één rij per foto met de beste locatie, een gekalibreerde betrouwbaarheid (zeker / onzeker / geen overeenkomst) en een foutstraal; een "geen overeenkomst" heeft geen punt.
&lt;b&gt;Kandidaten&lt;/b&gt;, &lt;b&gt;Gebieden&lt;/b&gt; (50 %- en 90 %-gebieden), &lt;b&gt;Posterior-dichtheid&lt;/b&gt;: optioneel; één posterior-raster per foto.
&lt;b&gt;Kijkkegels&lt;/b&gt;: optioneel; waar elke gevonden camera naartoe keek: vanaf de schatting langs de kijkrichting van de camera, zo breed als de beeldhoek van de foto (uit EXIF, anders geschat). Foto's zonder kijkrichting krijgen er geen; het logboek zegt waarom.

Een onleesbare foto krijgt een foutrij en de batch gaat door. Alle uitvoer is in EPSG:28992 (RD New).</translation>
        </message>
        <message>
            <source>Finds where photos were taken from their pixels alone, using a GeoPin reference database. For each photo: the most similar reference views are retrieved (TOP_K), the best VERIFY_TOP are checked geometrically with local features, and a kernel density over the verified references gives the estimate, a calibrated confidence (confident / uncertain / no match), an error radius and the 50 % and 90 % highest-density footprints. Input: photos and/or folders of photos. An unreadable photo gets an error row and the batch continues. AREA (a polygon layer) or AREA_EXTENT restricts the search. All outputs are in EPSG:28992 (RD New).</source>
            <translation type="vanished">Bepaalt alleen uit de pixels waar foto's zijn genomen, met een GeoPin-referentiedatabase. Per foto: de meest gelijkende referentiebeelden worden opgehaald (TOP_K), de beste VERIFY_TOP worden geometrisch gecontroleerd met lokale kenmerken, en een kerndichtheid over de geverifieerde referenties geeft de schatting, een gekalibreerde betrouwbaarheid (zeker / onzeker / geen match), een foutstraal en de gebieden met de hoogste dichtheid (50 % en 90 %). Invoer: foto's en/of mappen met foto's. Een onleesbare foto krijgt een foutregel en de reeks gaat door. AREA (een polygoonlaag) of AREA_EXTENT beperkt de zoektocht. Alle uitvoer is in EPSG:28992 (RD New).</translation>
        </message>
        <message>
            <source>Folder</source>
            <translation>Map</translation>
        </message>
        <message>
            <source>Folder with photos and panoramas</source>
            <translation>Map met foto's en panorama's</translation>
        </message>
        <message>
            <source>Folder with the wheel files</source>
            <translation>Map met de wheel-bestanden</translation>
        </message>
        <message>
            <source>Footprints</source>
            <translation>Gebieden</translation>
        </message>
        <message>
            <source>Footprints — {0}</source>
            <translation>Gebieden — {0}</translation>
        </message>
        <message>
            <source>For 'By a field of a table': a table (e.g. an earlier Estimates layer) with a column photo, photo_name or file and the album field.</source>
            <translation>Voor 'Volgens een veld van een tabel': een tabel (bijv. een eerdere laag Schattingen) met een kolom 'photo', photo_name of 'file' en het albumveld.</translation>
        </message>
        <message>
            <source>For each photo located by 'Geolocate photos': the cadastral parcels (BRK) with the probability that the camera stood on them (the posterior integrated over each parcel), the buildings (BAG or BGT pand) ranked by the probability that the photo shows them (nearest facade first, as seen from camera positions drawn from the posterior) and the addresses (BAG verblijfsobjecten) of those buildings. Data: PDOK's open OGC API Features (cached in a GeoPackage) or your own layers. Without a posterior raster the estimate's error radius is used. An optional view-cone layer limits the buildings to those in view. All outputs are in EPSG:28992. See docs/pdok.md.</source>
            <translation>Voor elke foto die met 'Foto's geolokaliseren' is gevonden: de kadastrale percelen (BRK) met de kans dat de camera erop stond (de posterior geïntegreerd over elk perceel), de gebouwen (BAG- of BGT-pand) gerangschikt naar de kans dat de foto ze toont (dichtstbijzijnde gevel eerst, gezien vanaf cameraposities uit de posterior) en de adressen (BAG-verblijfsobjecten) van die gebouwen. Gegevens: de open OGC API Features van PDOK (bewaard in een GeoPackage-cache) of uw eigen lagen. Zonder posterior-raster wordt de foutstraal van de schatting gebruikt. Een optionele laag met kijkkegels beperkt de gebouwen tot wat in beeld is. Alle uitvoer is in EPSG:28992. Zie docs/pdok.md.</translation>
        </message>
        <message>
            <source>GeoPackage (*.gpkg)</source>
            <translation>GeoPackage (*.gpkg)</translation>
        </message>
        <message>
            <source>GeoPin</source>
            <translation>GeoPin</translation>
        </message>
        <message>
            <source>GeoPin album tracks — {0}</source>
            <translation>GeoPin albumroutes — {0}</translation>
        </message>
        <message>
            <source>GeoPin candidates — {0}</source>
            <translation>GeoPin-kandidaten — {0}</translation>
        </message>
        <message>
            <source>GeoPin could not reach the Python package index (pypi.org): connect to the internet, set QGIS's proxy under Settings ▸ Options ▸ Network, or install from a folder of wheel files.</source>
            <translation>GeoPin kan de Python-pakketindex (pypi.org) niet bereiken: maak verbinding met internet, stel de proxy van QGIS in onder Instellingen ▸ Opties ▸ Netwerk, of installeer uit een map met wheel-bestanden.</translation>
        </message>
        <message>
            <source>GeoPin database (*.gpkg)</source>
            <translation>GeoPin-database (*.gpkg)</translation>
        </message>
        <message>
            <source>GeoPin estimates — {0}</source>
            <translation>GeoPin-schattingen — {0}</translation>
        </message>
        <message>
            <source>GeoPin footprints — {0}</source>
            <translation>GeoPin-gebieden — {0}</translation>
        </message>
        <message>
            <source>GeoPin is missing Python packages: {0}.</source>
            <translation>GeoPin mist Python-pakketten: {0}.</translation>
        </message>
        <message>
            <source>GeoPin looks for its models in these folders, in this order: {0}. The plugin ZIP ships the default models; install others from a models ZIP or an ONNX file with its model card.</source>
            <translation>GeoPin zoekt zijn modellen in deze mappen, in deze volgorde: {0}. De plugin-ZIP bevat de standaardmodellen; installeer andere uit een modellen-ZIP of een ONNX-bestand met zijn modelkaart.</translation>
        </message>
        <message>
            <source>GeoPin match: view {0}</source>
            <translation>GeoPin-overeenkomst: beeld {0}</translation>
        </message>
        <message>
            <source>GeoPin may not write to the folder for Python packages: check its permissions.</source>
            <translation>GeoPin mag niet schrijven in de map voor Python-pakketten: controleer de rechten.</translation>
        </message>
        <message>
            <source>GeoPin needs these Python packages: {0}.</source>
            <translation>GeoPin heeft deze Python-pakketten nodig: {0}.</translation>
        </message>
        <message>
            <source>GeoPin parcels: {0}</source>
            <translation>GeoPin-percelen: {0}</translation>
        </message>
        <message>
            <source>GeoPin photo geolocation</source>
            <translation>GeoPin fotolocatie</translation>
        </message>
        <message>
            <source>GeoPin posterior density — {0}</source>
            <translation>GeoPin-posterior-dichtheid — {0}</translation>
        </message>
        <message>
            <source>GeoPin results</source>
            <translation>GeoPin-resultaten</translation>
        </message>
        <message>
            <source>GeoPin view cones — {0}</source>
            <translation>GeoPin-kijkkegels — {0}</translation>
        </message>
        <message>
            <source>GeoPin's models are missing or damaged: install them again (Plugins ▸ GeoPin ▸ Install dependencies…) or run `make models`</source>
            <translation>De modellen van GeoPin ontbreken of zijn beschadigd: installeer ze opnieuw (Plugins ▸ GeoPin ▸ Afhankelijkheden installeren…) of voer `make models` uit</translation>
        </message>
        <message>
            <source>GeoPin: create a reference database</source>
            <translation>GeoPin: een referentiedatabase maken</translation>
        </message>
        <message>
            <source>GeoPin: install Python dependencies</source>
            <translation>GeoPin: Python-afhankelijkheden installeren</translation>
        </message>
        <message>
            <source>GeoPin: locating {0}</source>
            <translation>GeoPin: {0} lokaliseren</translation>
        </message>
        <message>
            <source>GeoPin: models</source>
            <translation>GeoPin: modellen</translation>
        </message>
        <message>
            <source>GeoPin: parcels and addresses</source>
            <translation>GeoPin: percelen en adressen</translation>
        </message>
        <message>
            <source>GeoPin: {0}</source>
            <translation>GeoPin: {0}</translation>
        </message>
        <message>
            <source>Geolocate photos</source>
            <translation>Foto's lokaliseren</translation>
        </message>
        <message>
            <source>Geolocation failed</source>
            <translation>Lokaliseren mislukt</translation>
        </message>
        <message>
            <source>Give either a coordinates CSV or a point layer, not both</source>
            <translation>Geef een coördinaten-CSV of een puntlaag op, niet allebei</translation>
        </message>
        <message>
            <source>Give either a reference database or a folder of reference photos</source>
            <translation>Geef een referentiedatabase of een map met referentiefoto's, niet allebei</translation>
        </message>
        <message>
            <source>Give query images (or choose a built-in protocol)</source>
            <translation>Geef query-afbeeldingen (of kies een ingebouwd protocol)</translation>
        </message>
        <message>
            <source>Ground truth CSV (file, lat, lon); else the queries' EXIF GPS</source>
            <translation>CSV met grondwaarheid (file, lat, lon); anders de EXIF-gps van de query's</translation>
        </message>
        <message>
            <source>HTML report</source>
            <translation>HTML-rapport</translation>
        </message>
        <message>
            <source>Hatched: a logo, cap or hood that recurs in this camera's images (an overlay mask); no keypoints there were stored</source>
            <translation>Gearceerd: een logo, kap of motorkap dat in de beelden van deze camera terugkeert (een overlaymasker); daar zijn geen kenmerkpunten opgeslagen</translation>
        </message>
        <message>
            <source>Heading (°)</source>
            <translation>Kijkrichting (°)</translation>
        </message>
        <message>
            <source>Heading {0:.0f}°</source>
            <translation type="vanished">Kijkrichting {0:.0f}°</translation>
        </message>
        <message>
            <source>Heading {0}°</source>
            <translation>Richting {0}°</translation>
        </message>
        <message>
            <source>Help</source>
            <translation>Help</translation>
        </message>
        <message>
            <source>Horizontal field of view of panorama views (degrees)</source>
            <translation>Horizontale beeldhoek van panoramabeelden (graden)</translation>
        </message>
        <message>
            <source>How far the camera can move between two photos: at most this speed.</source>
            <translation>Hoe ver de camera tussen twee foto's kan bewegen: hoogstens met deze snelheid.</translation>
        </message>
        <message>
            <source>How fast the camera moved between the photos of an album: how far apart two photos may be</source>
            <translation>Hoe snel de camera zich tussen de foto's van een album verplaatste: hoe ver twee foto's uit elkaar mogen liggen</translation>
        </message>
        <message>
            <source>How many of the most similar reference views are retrieved per photo.</source>
            <translation>Hoeveel van de meest gelijkende referentiebeelden per foto worden opgehaald.</translation>
        </message>
        <message>
            <source>How many of the most similar reference views are searched for each photo</source>
            <translation>Hoeveel van de meest gelijkende referentiebeelden per foto worden gezocht</translation>
        </message>
        <message>
            <source>How many of them are checked geometrically with local features (more: slower, surer)</source>
            <translation>Hoeveel daarvan geometrisch worden gecontroleerd met lokale kenmerken (meer: trager, zekerder)</translation>
        </message>
        <message>
            <source>How many of those are checked geometrically (slower, surer).</source>
            <translation>Hoeveel daarvan geometrisch worden gecontroleerd (trager, zekerder).</translation>
        </message>
        <message>
            <source>How to use GeoPin: the manual opens in your web browser</source>
            <translation>Hoe GeoPin werkt: de handleiding opent in uw webbrowser</translation>
        </message>
        <message>
            <source>Image path field of the point layer</source>
            <translation>Veld met het beeldpad in de puntlaag</translation>
        </message>
        <message>
            <source>Image size to download (long side, pixels)</source>
            <translation>Te downloaden beeldgrootte (lange zijde, pixels)</translation>
        </message>
        <message>
            <source>Images added</source>
            <translation>Toegevoegde beelden</translation>
        </message>
        <message>
            <source>Images found</source>
            <translation>Gevonden beelden</translation>
        </message>
        <message>
            <source>Images skipped (already in the database)</source>
            <translation>Overgeslagen beelden (al in de database)</translation>
        </message>
        <message>
            <source>Images that failed</source>
            <translation>Mislukte beelden</translation>
        </message>
        <message>
            <source>Import street-level imagery</source>
            <translation>Straatbeelden importeren</translation>
        </message>
        <message>
            <source>In file order</source>
            <translation>In bestandsvolgorde</translation>
        </message>
        <message>
            <source>Indexes geotagged photos and 360° panoramas from a folder (searched recursively; jpg, jpeg, png, tif) into a GeoPackage reference database with a search index. Positions come from the coordinates CSV (file, lat, lon, optional heading, capture_time) or point layer when given, else from EXIF GPS. Each equirectangular panorama is cut into perspective views at evenly spaced headings. If the database exists, only new images are added (an image's content hash decides). Files that cannot be used are listed in the errors table with the reason. Unless 'Keep a JPEG copy of every view' is on, the database keeps no copy of the views: leave the source images where they are, the match viewer cuts the views from them.</source>
            <translation>Indexeert foto's met locatie en 360°-panorama's uit een map (inclusief submappen; jpg, jpeg, png, tif) in een GeoPackage-referentiedatabase met een zoekindex. Posities komen uit de coördinaten-CSV (file, lat, lon, optioneel heading, capture_time) of de puntlaag als die is opgegeven, anders uit de EXIF-GPS. Elk equirectangulair panorama wordt in perspectiefbeelden op gelijk verdeelde kijkrichtingen geknipt. Bestaat de database al, dan worden alleen nieuwe beelden toegevoegd (de inhoudshash van een beeld beslist). Bestanden die niet bruikbaar zijn staan met de reden in de fouttabel. Tenzij 'Van elke weergave een JPEG-kopie bewaren' aan staat, bewaart de database geen kopie van de weergaven: laat de bronbeelden staan waar ze staan, het vergelijkingsvenster snijdt de weergaven eruit.</translation>
        </message>
        <message>
            <source>Input folder not found: {0}</source>
            <translation>Invoermap niet gevonden: {0}</translation>
        </message>
        <message>
            <source>Install</source>
            <translation>Installeren</translation>
        </message>
        <message>
            <source>Install ONNX model…</source>
            <translation>ONNX-model installeren…</translation>
        </message>
        <message>
            <source>Install dependencies…</source>
            <translation>Afhankelijkheden installeren…</translation>
        </message>
        <message>
            <source>Install models ZIP…</source>
            <translation>Modellen-ZIP installeren…</translation>
        </message>
        <message>
            <source>Install models…</source>
            <translation>Modellen installeren…</translation>
        </message>
        <message>
            <source>Install the Python dependencies first ({0}).</source>
            <translation>Installeer eerst de Python-afhankelijkheden ({0}).</translation>
        </message>
        <message>
            <source>Install the Python packages GeoPin needs into your QGIS profile</source>
            <translation>Installeer de Python-pakketten die GeoPin nodig heeft in uw QGIS-profiel</translation>
        </message>
        <message>
            <source>Install {0} from the menu Plugins ▸ GeoPin ▸ Install dependencies…, or with pip into QGIS's Python (see the GeoPin README).</source>
            <translation>Installeer {0} via het menu Plugins ▸ GeoPin ▸ Afhankelijkheden installeren…, of met pip in de Python van QGIS (zie de README van GeoPin).</translation>
        </message>
        <message>
            <source>Installed {0}.</source>
            <translation>{0} geïnstalleerd.</translation>
        </message>
        <message>
            <source>Installed {0}: choose it as the embedding model under Advanced.</source>
            <translation>{0} geïnstalleerd: kies het als embeddingmodel onder Geavanceerd.</translation>
        </message>
        <message>
            <source>Installed, but these packages cannot be imported: {0}. Restart QGIS and try again.</source>
            <translation>Geïnstalleerd, maar deze pakketten kunnen niet worden geïmporteerd: {0}. Start QGIS opnieuw en probeer het nog eens.</translation>
        </message>
        <message>
            <source>Installing from the wheels in {0} (no internet needed).</source>
            <translation>Installeren uit de wheels in {0} (geen internet nodig).</translation>
        </message>
        <message>
            <source>Installing… (this can take a few minutes)</source>
            <translation>Bezig met installeren… (dit kan enkele minuten duren)</translation>
        </message>
        <message>
            <source>Invalid input: {0}</source>
            <translation>Ongeldige invoer: {0}</translation>
        </message>
        <message>
            <source>Invalid preset: {0}</source>
            <translation>Ongeldige preset: {0}</translation>
        </message>
        <message>
            <source>KartaView</source>
            <translation>KartaView</translation>
        </message>
        <message>
            <source>Keep a JPEG copy of every view (about 180 KB a view; without it the match viewer cuts views from the source images)</source>
            <translation>Van elke weergave een JPEG-kopie bewaren (ongeveer 180 KB per weergave; zonder kopie snijdt het vergelijkingsvenster de weergaven uit de bronbeelden)</translation>
        </message>
        <message>
            <source>Label</source>
            <translation>Label</translation>
        </message>
        <message>
            <source>Latitude</source>
            <translation>Breedtegraad</translation>
        </message>
        <message>
            <source>Learn PCA-whitening on the reference embeddings</source>
            <translation>PCA-whitening leren op de referentie-embeddings</translation>
        </message>
        <message>
            <source>Limit to polygons of this layer</source>
            <translation>Beperken tot de polygonen van deze laag</translation>
        </message>
        <message>
            <source>Load PDOK layers</source>
            <translation>PDOK-lagen laden</translation>
        </message>
        <message>
            <source>Loading the database and models…</source>
            <translation>Database en modellen laden…</translation>
        </message>
        <message>
            <source>{0} was built with {1}: the new images are embedded with it too</source>
            <translation>{0} is gebouwd met {1}: de nieuwe afbeeldingen worden daar ook mee ingebed</translation>
        </message>
        <message>
            <source>Learn an overlay mask from the photos of one camera</source>
            <translation>Een overlaymasker leren uit de foto's van één camera</translation>
        </message>
        <message>
            <source>With 8 or more photos of one camera (folder, make, model, size), learn what stays the same in all of them (a logo, a hood, a time stamp) and do not match those pixels. Off by default: on the shared test data it helped only where the reference database had no masks of its own, and elsewhere it made one answer confidently wrong (docs/evaluation.md).</source>
            <translation>Leer bij 8 of meer foto's van één camera (map, merk, model, formaat) wat in alle foto's gelijk blijft (een logo, een motorkap, een tijdstempel) en vergelijk die pixels niet. Standaard uit: op de gedeelde testgegevens hielp het alleen waar de referentiedatabase zelf geen maskers had, en elders maakte het één antwoord zeker maar fout (docs/evaluation.md).</translation>
        </message>
        <message>
            <source>Loading the embedding model {0}</source>
            <translation>Embeddingmodel {0} wordt geladen</translation>
        </message>
        <message>
            <source>Loading the models</source>
            <translation>De modellen worden geladen</translation>
        </message>
        <message>
            <source>Locate</source>
            <translation>Lokaliseren</translation>
        </message>
        <message>
            <source>Locate a photo first</source>
            <translation>Lokaliseer eerst een foto</translation>
        </message>
        <message>
            <source>Longitude</source>
            <translation>Lengtegraad</translation>
        </message>
        <message>
            <source>Looking for a logo, hood or time stamp shared by the photos of one camera…</source>
            <translation>Zoeken naar een logo, motorkap of tijdstempel die de foto's van één camera delen…</translation>
        </message>
        <message>
            <source>Map extent</source>
            <translation>Kaartextent</translation>
        </message>
        <message>
            <source>Mapilio</source>
            <translation>Mapilio</translation>
        </message>
        <message>
            <source>Mapillary (access token in a QGIS authentication configuration)</source>
            <translation>Mapillary (toegangstoken in een QGIS-authenticatieconfiguratie)</translation>
        </message>
        <message>
            <source>Mapillary (token needed)</source>
            <translation>Mapillary (token vereist)</translation>
        </message>
        <message>
            <source>Mapillary needs an access token: choose or add an authentication configuration that holds it.</source>
            <translation>Mapillary heeft een toegangstoken nodig: kies of maak een authenticatieconfiguratie die het bevat.</translation>
        </message>
        <message>
            <source>Maximum number of images</source>
            <translation>Maximum aantal beelden</translation>
        </message>
        <message>
            <source>Measures how well GeoPin locates photos whose position is known. Either a built-in protocol on the shared datasets (leave-one-out, nothing to build), or query images with ground truth (a CSV file,lat,lon or their EXIF GPS) against a reference database or a folder of geotagged reference photos. The preset is key=value pairs: embedder, whitening, extractor, tier (none, fast), top_k, verify_top, estimator (pipeline, top1, hybrid); empty means the default. Outputs a per-query table (estimate points in EPSG:28992 with truth, error in metres, confidence, label, rank of the first correct reference before and after verification, timings) and an HTML report with accuracy tables, error CDF, reliability diagram and a failure gallery.</source>
            <translation>Meet hoe goed GeoPin foto's met een bekende positie lokaliseert. Ofwel een ingebouwd protocol op de gedeelde datasets (leave-one-out, niets te bouwen), ofwel query-afbeeldingen met grondwaarheid (een CSV file,lat,lon of hun EXIF-gps) tegen een referentiedatabase of een map met gegeorefereerde referentiefoto's. De preset bestaat uit sleutel=waarde-paren: embedder, whitening, extractor, tier (none, fast), top_k, verify_top, estimator (pipeline, top1, hybrid); leeg betekent de standaard. Levert een tabel per query (geschatte punten in EPSG:28992 met de werkelijke positie, fout in meters, betrouwbaarheid, label, rang van de eerste juiste referentie voor en na verificatie, tijden) en een HTML-rapport met nauwkeurigheidstabellen, fouten-CDF, betrouwbaarheidsdiagram en een galerij van fouten.</translation>
        </message>
        <message>
            <source>Missing Python packages: {0}.</source>
            <translation>Ontbrekende Python-pakketten: {0}.</translation>
        </message>
        <message>
            <source>Missing Python packages: {0}. Locate needs them.</source>
            <translation>Ontbrekende Python-pakketten: {0}. Lokaliseren heeft ze nodig.</translation>
        </message>
        <message>
            <source>Missing models: {0}.</source>
            <translation>Ontbrekende modellen: {0}.</translation>
        </message>
        <message>
            <source>Missing models: {0}: install them with Models….</source>
            <translation>Ontbrekende modellen: {0}: installeer ze met Modellen….</translation>
        </message>
        <message>
            <source>Missing now: {0}.</source>
            <translation>Ontbreekt nu: {0}.</translation>
        </message>
        <message>
            <source>Models ZIP</source>
            <translation>Modellen-ZIP</translation>
        </message>
        <message>
            <source>Models missing: {0}.</source>
            <translation>Modellen ontbreken: {0}.</translation>
        </message>
        <message>
            <source>Models: installed.</source>
            <translation>Modellen: geïnstalleerd.</translation>
        </message>
        <message>
            <source>Models…</source>
            <translation>Modellen…</translation>
        </message>
        <message>
            <source>My own layers</source>
            <translation>Mijn eigen lagen</translation>
        </message>
        <message>
            <source>My polygon layer</source>
            <translation>Mijn polygoonlaag</translation>
        </message>
        <message>
            <source>New database</source>
            <translation>Nieuwe database</translation>
        </message>
        <message>
            <source>New reference database</source>
            <translation>Nieuwe referentiedatabase</translation>
        </message>
        <message>
            <source>Next ▶</source>
            <translation>Volgende ▶</translation>
        </message>
        <message>
            <source>No GPS position in EXIF</source>
            <translation>Geen GPS-positie in EXIF</translation>
        </message>
        <message>
            <source>No background map</source>
            <translation>Geen achtergrondkaart</translation>
        </message>
        <message>
            <source>No output database given</source>
            <translation>Geen uitvoerdatabase opgegeven</translation>
        </message>
        <message>
            <source>No photos given (INPUT is empty or the folders hold no images)</source>
            <translation>Geen foto's opgegeven (INPUT is leeg of de mappen bevatten geen afbeeldingen)</translation>
        </message>
        <message>
            <source>No picture for {0} of the references: {1}</source>
            <translation>Geen afbeelding voor {0} van de referenties: {1}</translation>
        </message>
        <message>
            <source>No reference database chosen: choose one or create one for the map view.</source>
            <translation>Geen referentiedatabase gekozen: kies er een of maak er een voor het kaartbeeld.</translation>
        </message>
        <message>
            <source>No reference image for view {0}</source>
            <translation>Geen referentiebeeld voor beeld {0}</translation>
        </message>
        <message>
            <source>No reference images to show</source>
            <translation>Geen referentiebeelden om te tonen</translation>
        </message>
        <message>
            <source>No reference photo has a position</source>
            <translation>Geen enkele referentiefoto heeft een positie</translation>
        </message>
        <message>
            <source>None</source>
            <translation>Geen</translation>
        </message>
        <message>
            <source>Not located: no reliable match ({0} verified of {1} candidates). The candidates are on the map for inspection.</source>
            <translation>Niet gelokaliseerd: geen betrouwbare overeenkomst ({0} geverifieerd van {1} kandidaten). De kandidaten staan ter inspectie op de kaart.</translation>
        </message>
        <message>
            <source>ONNX model</source>
            <translation>ONNX-model</translation>
        </message>
        <message>
            <source>ONNX models (*.onnx)</source>
            <translation>ONNX-modellen (*.onnx)</translation>
        </message>
        <message>
            <source>Off: each photo alone</source>
            <translation>Uit: elke foto apart</translation>
        </message>
        <message>
            <source>Offline: install from .whl files downloaded on another machine with pip download --only-binary :all: -r requirements/runtime.txt</source>
            <translation>Offline: installeer uit .whl-bestanden die op een andere computer zijn gedownload met pip download --only-binary :all: -r requirements/runtime.txt</translation>
        </message>
        <message>
            <source>One line per album through its photos' positions in capture order.</source>
            <translation>Eén lijn per album door de posities van de foto's, in opnamevolgorde.</translation>
        </message>
        <message>
            <source>One row per photo; a point only where it was located.</source>
            <translation>Eén rij per foto; alleen een punt waar die gelokaliseerd is.</translation>
        </message>
        <message>
            <source>Open a map first: the database covers the map view.</source>
            <translation>Open eerst een kaart: de database beslaat het kaartbeeld.</translation>
        </message>
        <message>
            <source>Open user models folder</source>
            <translation>Map met gebruikersmodellen openen</translation>
        </message>
        <message>
            <source>OpenStreetMap</source>
            <translation>OpenStreetMap</translation>
        </message>
        <message>
            <source>Or: folder of geotagged reference photos (custom protocol)</source>
            <translation>Of: map met gegeorefereerde referentiefoto's (eigen protocol)</translation>
        </message>
        <message>
            <source>Overlay mask learned for {0}: {1} images, {2:.1f} % of the view masked</source>
            <translation>Overlaymasker geleerd voor {0}: {1} beelden, {2:.1f} % van het beeld gemaskeerd</translation>
        </message>
        <message>
            <source>Overlay masks: {0} keypoints on logos, caps or hoods left out of {1} views</source>
            <translation>Overlaymaskers: {0} kenmerkpunten op logo's, kappen of motorkappen weggelaten uit {1} beelden</translation>
        </message>
        <message>
            <source>PDOK</source>
            <translation>PDOK</translation>
        </message>
        <message>
            <source>PDOK (BRK, BAG/BGT, BAG)</source>
            <translation>PDOK (BRK, BAG/BGT, BAG)</translation>
        </message>
        <message>
            <source>PDOK BAG (online, cached)</source>
            <translation>PDOK BAG (online, bewaard)</translation>
        </message>
        <message>
            <source>PDOK BRT Achtergrondkaart</source>
            <translation>PDOK BRT Achtergrondkaart</translation>
        </message>
        <message>
            <source>PDOK answers are cached in {0}</source>
            <translation>Antwoorden van PDOK worden bewaard in {0}</translation>
        </message>
        <message>
            <source>PDOK cache (GeoPackage)</source>
            <translation>PDOK-cache (GeoPackage)</translation>
        </message>
        <message>
            <source>Panoramax</source>
            <translation>Panoramax</translation>
        </message>
        <message>
            <source>Panoramax (open, no account)</source>
            <translation>Panoramax (open, geen account)</translation>
        </message>
        <message>
            <source>Parcel layer (own data)</source>
            <translation>Perceellaag (eigen gegevens)</translation>
        </message>
        <message>
            <source>Parcels</source>
            <translation>Percelen</translation>
        </message>
        <message>
            <source>Parcels (camera stood on)</source>
            <translation>Percelen (camera stond op)</translation>
        </message>
        <message>
            <source>Parcels and addresses</source>
            <translation>Percelen en adressen</translation>
        </message>
        <message>
            <source>Parcels and buildings kept per photo</source>
            <translation>Percelen en gebouwen per foto</translation>
        </message>
        <message>
            <source>Parcels, buildings and addresses from</source>
            <translation>Percelen, gebouwen en adressen uit</translation>
        </message>
        <message>
            <source>Parcels, buildings and addresses in view</source>
            <translation>Percelen, gebouwen en adressen in beeld</translation>
        </message>
        <message>
            <source>Per-query results</source>
            <translation>Resultaten per query</translation>
        </message>
        <message>
            <source>Per-query table (CSV)</source>
            <translation>Tabel per query (CSV)</translation>
        </message>
        <message>
            <source>Photo</source>
            <translation>Foto</translation>
        </message>
        <message>
            <source>Photo geolocation</source>
            <translation>Fotolocatie</translation>
        </message>
        <message>
            <source>Photo {0} of {1}: {2}</source>
            <translation>Foto {0} van {1}: {2}</translation>
        </message>
        <message>
            <source>Photos and/or folders; a folder adds its images (not its subfolders).</source>
            <translation>Foto's en/of mappen; een map voegt zijn afbeeldingen toe (niet die van submappen).</translation>
        </message>
        <message>
            <source>Photos answered</source>
            <translation>Beantwoorde foto's</translation>
        </message>
        <message>
            <source>Photos located</source>
            <translation type="vanished">Gelokaliseerde foto's</translation>
        </message>
        <message>
            <source>Photos located (confident or uncertain; not the no matches)</source>
            <translation>Gelokaliseerde foto's (zeker of onzeker; zonder de foto's zonder overeenkomst)</translation>
        </message>
        <message>
            <source>Photos located confidently</source>
            <translation>Zeker gelokaliseerde foto's</translation>
        </message>
        <message>
            <source>Photos of one camera further apart in time than this are separate albums.</source>
            <translation>Foto's van één camera die in tijd verder uit elkaar liggen dan dit, zijn aparte albums.</translation>
        </message>
        <message>
            <source>Photos or folders of photos</source>
            <translation>Foto's of mappen met foto's</translation>
        </message>
        <message>
            <source>Photos taken together (by capture time and camera) are located together: a photo that cannot be located alone gets a position from the photos before and after it</source>
            <translation>Foto's die samen zijn gemaakt (volgens opnametijd en camera) worden samen gelokaliseerd: een foto die alleen niet te lokaliseren is, krijgt een positie van de foto's ervoor en erna</translation>
        </message>
        <message>
            <source>Photos taken together are located together: a photo that fails alone gets a position from the photos taken just before and after it (labelled 'album', never confident). By capture time and camera: EXIF time and camera; a pause longer than the gap starts a new album. In file order: for photos without times (one minute apart is assumed).</source>
            <translation>Foto's die samen zijn genomen, worden samen gelokaliseerd: een foto die alleen niet lukt, krijgt een positie van de foto's die vlak ervoor en erna zijn genomen (gelabeld 'album', nooit zeker). Volgens opnametijd en camera: EXIF-tijd en camera; een pauze langer dan de onderbreking begint een nieuw album. In bestandsvolgorde: voor foto's zonder tijd (er wordt één minuut ertussen aangenomen).</translation>
        </message>
        <message>
            <source>Photos that could not be answered</source>
            <translation>Foto's die niet beantwoord konden worden</translation>
        </message>
        <message>
            <source>Photos that could not be read</source>
            <translation>Onleesbare foto's</translation>
        </message>
        <message>
            <source>Photos' overlay mask for {0}: {1} photos, {2:.1f} % of the photo masked</source>
            <translation>Overlaymasker van de foto's voor {0}: {1} foto's, {2:.1f} % van de foto gemaskeerd</translation>
        </message>
        <message>
            <source>Placed by its album (the photos taken just before and after it), not by its own pixels</source>
            <translation>Geplaatst door het album (de foto's die vlak ervoor en erna zijn genomen), niet door de eigen pixels</translation>
        </message>
        <message>
            <source>Polygon layer</source>
            <translation>Polygoonlaag</translation>
        </message>
        <message>
            <source>Polygons of a layer</source>
            <translation>Polygonen van een laag</translation>
        </message>
        <message>
            <source>Posterior</source>
            <translation type="vanished">Posterior</translation>
        </message>
        <message>
            <source>Posterior density</source>
            <translation>Posterior-dichtheid</translation>
        </message>
        <message>
            <source>Posterior density rasters</source>
            <translation>Posterior-dichtheidsrasters</translation>
        </message>
        <message>
            <source>Posterior density — {0}</source>
            <translation>Posterior-dichtheid — {0}</translation>
        </message>
        <message>
            <source>Posterior mass {0:.2f}; {1} requests</source>
            <translation>Posterior-massa {0:.2f}; {1} verzoeken</translation>
        </message>
        <message>
            <source>Posterior of {0} written to {1}</source>
            <translation>Posterior van {0} geschreven naar {1}</translation>
        </message>
        <message>
            <source>Preset (key=value, comma separated; empty: default)</source>
            <translation>Preset (sleutel=waarde, gescheiden door komma's; leeg: standaard)</translation>
        </message>
        <message>
            <source>Probability</source>
            <translation>Kans</translation>
        </message>
        <message>
            <source>Protocol</source>
            <translation>Protocol</translation>
        </message>
        <message>
            <source>Python dependencies installed.</source>
            <translation>Python-afhankelijkheden geïnstalleerd.</translation>
        </message>
        <message>
            <source>Python packages missing: {0}.</source>
            <translation>Python-pakketten ontbreken: {0}.</translation>
        </message>
        <message>
            <source>Python packages: installed.</source>
            <translation>Python-pakketten: geïnstalleerd.</translation>
        </message>
        <message>
            <source>Query images (custom protocol)</source>
            <translation>Query-afbeeldingen (eigen protocol)</translation>
        </message>
        <message>
            <source>Radius (m)</source>
            <translation>Straal (m)</translation>
        </message>
        <message>
            <source>Rank {0} · similarity {1:.3f} · {2} inliers · {3}</source>
            <translation type="vanished">Rang {0} · overeenkomst {1:.3f} · {2} inliers · {3}</translation>
        </message>
        <message>
            <source>Rank {0} · similarity {1} · {2} inliers · {3}</source>
            <translation>Rang {0} · gelijkenis {1} · {2} kloppende punten · {3}</translation>
        </message>
        <message>
            <source>Reading the photo</source>
            <translation>Foto lezen</translation>
        </message>
        <message>
            <source>Ready.</source>
            <translation>Gereed.</translation>
        </message>
        <message>
            <source>Reference coverage: {0}</source>
            <translation>Referentiedekking: {0}</translation>
        </message>
        <message>
            <source>Reference database</source>
            <translation>Referentiedatabase</translation>
        </message>
        <message>
            <source>Reference database (custom protocol)</source>
            <translation>Referentiedatabase (eigen protocol)</translation>
        </message>
        <message>
            <source>Reference database not found: {0}</source>
            <translation>Referentiedatabase niet gevonden: {0}</translation>
        </message>
        <message>
            <source>Reference database problem: {0}</source>
            <translation>Probleem met de referentiedatabase: {0}</translation>
        </message>
        <message>
            <source>Reference database: not ready.</source>
            <translation>Referentiedatabase: niet klaar.</translation>
        </message>
        <message>
            <source>Reference database: ready.</source>
            <translation>Referentiedatabase: klaar.</translation>
        </message>
        <message>
            <source>Reference database: {0}</source>
            <translation>Referentiedatabase: {0}</translation>
        </message>
        <message>
            <source>Reference: {0}</source>
            <translation>Referentie: {0}</translation>
        </message>
        <message>
            <source>Remove all photos from the list</source>
            <translation>Alle foto's uit de lijst verwijderen</translation>
        </message>
        <message>
            <source>Remove from the list</source>
            <translation>Uit de lijst verwijderen</translation>
        </message>
        <message>
            <source>Report folder</source>
            <translation>Rapportmap</translation>
        </message>
        <message>
            <source>Results of {0} photos saved to {1}</source>
            <translation>Resultaten van {0} foto's opgeslagen in {1}</translation>
        </message>
        <message>
            <source>Results table…</source>
            <translation>Resultatentabel…</translation>
        </message>
        <message>
            <source>Save results</source>
            <translation>Resultaten opslaan</translation>
        </message>
        <message>
            <source>Save results…</source>
            <translation>Resultaten opslaan…</translation>
        </message>
        <message>
            <source>Save this table as a CSV file (codes and plain numbers, for spreadsheets and scripts)</source>
            <translation>Deze tabel als CSV-bestand opslaan (codes en kale getallen, voor spreadsheets en scripts)</translation>
        </message>
        <message>
            <source>Search area</source>
            <translation>Zoekgebied</translation>
        </message>
        <message>
            <source>Search only inside these polygons</source>
            <translation>Alleen binnen deze polygonen zoeken</translation>
        </message>
        <message>
            <source>Search only inside this extent</source>
            <translation>Alleen binnen dit gebied zoeken</translation>
        </message>
        <message>
            <source>Search only reference views inside the map extent or the polygons of a layer</source>
            <translation>Alleen zoeken in referentiebeelden binnen het kaartbeeld of de polygonen van een laag</translation>
        </message>
        <message>
            <source>Search only reference views inside these polygons (any CRS).</source>
            <translation>Zoek alleen referentiebeelden binnen deze polygonen (elk CRS).</translation>
        </message>
        <message>
            <source>Search only reference views inside this extent.</source>
            <translation>Zoek alleen referentiebeelden binnen deze extent.</translation>
        </message>
        <message>
            <source>Searching inside an area of {0:.2f} km²</source>
            <translation>Zoeken binnen een gebied van {0:.2f} km²</translation>
        </message>
        <message>
            <source>Searching the database</source>
            <translation>Database doorzoeken</translation>
        </message>
        <message>
            <source>Show matches</source>
            <translation>Overeenkomsten tonen</translation>
        </message>
        <message>
            <source>Show or hide the GeoPin panel ({0})</source>
            <translation>Het GeoPin-paneel tonen of verbergen ({0})</translation>
        </message>
        <message>
            <source>Show the installed models, or install models from a ZIP or an ONNX file</source>
            <translation>Toon de geïnstalleerde modellen, of installeer modellen uit een ZIP- of ONNX-bestand</translation>
        </message>
        <message>
            <source>Skip photos labelled 'no match'</source>
            <translation>Foto's met label 'geen overeenkomst' overslaan</translation>
        </message>
        <message>
            <source>Skipped {0}: {1}</source>
            <translation>Overgeslagen: {0}: {1}</translation>
        </message>
        <message>
            <source>Some outputs were not written (is the disk full?): {0}. Free space or choose another folder and run again.</source>
            <translation>Sommige uitvoer is niet geschreven (is de schijf vol?): {0}. Maak ruimte vrij of kies een andere map en voer opnieuw uit.</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>Bron</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>Status</translation>
        </message>
        <message>
            <source>Stop locating</source>
            <translation>Lokaliseren stoppen</translation>
        </message>
        <message>
            <source>Store a valid token in QGIS Settings ▸ Options ▸ Authentication and choose that configuration in the AUTH_CONFIG parameter (Authentication configuration).</source>
            <translation>Sla een geldig token op in QGIS Instellingen ▸ Opties ▸ Authenticatie en kies die configuratie in de parameter AUTH_CONFIG (Authenticatieconfiguratie).</translation>
        </message>
        <message>
            <source>Store local features compactly (4-bit descriptors: 76 KB a view instead of 140 KB)</source>
            <translation>Lokale kenmerken compact opslaan (4-bit-descriptoren: 76 KB per weergave in plaats van 140 KB)</translation>
        </message>
        <message>
            <source>Taken {0}</source>
            <translation>Genomen op {0}</translation>
        </message>
        <message>
            <source>The 50 % and 90 % highest-density regions of each photo.</source>
            <translation>De gebieden met de hoogste dichtheid (50 % en 90 %) van elke foto.</translation>
        </message>
        <message>
            <source>The API address must start with http:// or https://</source>
            <translation>Het API-adres moet beginnen met http:// of https://</translation>
        </message>
        <message>
            <source>The GeoPin reference database (.gpkg) to search: made by Processing ▸ GeoPin ▸ Build reference database</source>
            <translation>De GeoPin-referentiedatabase (.gpkg) om in te zoeken: gemaakt met Processing ▸ GeoPin ▸ Referentiedatabase bouwen</translation>
        </message>
        <message>
            <source>The album table has no column photo, photo_name or file with the photos' names</source>
            <translation>De albumtabel heeft geen kolom 'photo', photo_name of 'file' met de namen van de foto's</translation>
        </message>
        <message>
            <source>The area holds more images than the maximum ({0}); a spatially even sample of {1} was taken. Raise the maximum or draw a smaller area for more.</source>
            <translation>Het gebied bevat meer beelden dan het maximum ({0}); er is een ruimtelijk gelijkmatige steekproef van {1} genomen. Verhoog het maximum of teken een kleiner gebied voor meer.</translation>
        </message>
        <message>
            <source>The area is empty: draw or choose an extent</source>
            <translation>Het gebied is leeg: teken of kies een extent</translation>
        </message>
        <message>
            <source>The area layer has no polygons</source>
            <translation>De gebiedslaag bevat geen polygonen</translation>
        </message>
        <message>
            <source>The area layer has {0} separate polygons; the largest is used.</source>
            <translation>De gebiedslaag bevat {0} losse polygonen; de grootste wordt gebruikt.</translation>
        </message>
        <message>
            <source>The authentication configuration {0} for {1} cannot be read. Check it in QGIS Settings ▸ Options ▸ Authentication (the master password may be needed) and choose it in the AUTH_CONFIG parameter.</source>
            <translation>De authenticatieconfiguratie {0} voor {1} kan niet worden gelezen. Controleer haar in QGIS Instellingen ▸ Opties ▸ Authenticatie (mogelijk is het hoofdwachtwoord nodig) en kies haar in de parameter AUTH_CONFIG.</translation>
        </message>
        <message>
            <source>The database could not be created: {0}</source>
            <translation>De database kon niet worden gemaakt: {0}</translation>
        </message>
        <message>
            <source>The database to add to does not exist: {0}</source>
            <translation>De database om aan toe te voegen bestaat niet: {0}</translation>
        </message>
        <message>
            <source>The default models are installed.</source>
            <translation>De standaardmodellen zijn geïnstalleerd.</translation>
        </message>
        <message>
            <source>The disk is full: free some space and install again.</source>
            <translation>De schijf is vol: maak ruimte vrij en installeer opnieuw.</translation>
        </message>
        <message>
            <source>The estimates layer has no '{0}' field: use the Estimates output of Geolocate photos</source>
            <translation>De schattingenlaag heeft geen veld '{0}': gebruik de uitvoer Schattingen van Foto's geolokaliseren</translation>
        </message>
        <message>
            <source>The folder of wheels has no wheel of {0} for this QGIS ({1}): add it and install again.</source>
            <translation>De map met wheels heeft geen wheel van {0} voor deze QGIS ({1}): voeg het toe en installeer opnieuw.</translation>
        </message>
        <message>
            <source>The layer {0} has no polygons</source>
            <translation>De laag {0} heeft geen polygonen</translation>
        </message>
        <message>
            <source>The matches of {0} are no longer in memory: locate the photo again in the GeoPin dock.</source>
            <translation>De overeenkomsten van {0} staan niet meer in het geheugen: lokaliseer de foto opnieuw in het GeoPin-paneel.</translation>
        </message>
        <message>
            <source>The photo and the chosen reference side by side, with the matched points</source>
            <translation>De foto en de gekozen referentie naast elkaar, met de overeenkomende punten</translation>
        </message>
        <message>
            <source>The photo's EXIF position is {0} km from the nearest reference view: outside this database's coverage.</source>
            <translation>De EXIF-positie van de foto ligt {0} km van het dichtstbijzijnde referentiebeeld: buiten de dekking van deze database.</translation>
        </message>
        <message>
            <source>The photos to locate; click one to see its result</source>
            <translation>De te lokaliseren foto's; klik op een foto om het resultaat te zien</translation>
        </message>
        <message>
            <source>The point layer has no field named {0}</source>
            <translation>De puntlaag heeft geen veld met de naam {0}</translation>
        </message>
        <message>
            <source>The polygon layer that limits the search</source>
            <translation>De polygoonlaag die de zoektocht begrenst</translation>
        </message>
        <message>
            <source>The polygon layer with the building outlines</source>
            <translation>De polygoonlaag met de gebouwomtrekken</translation>
        </message>
        <message>
            <source>The posterior density as a GeoTIFF; one file per photo.</source>
            <translation>De posterior-dichtheid als GeoTIFF; één bestand per foto.</translation>
        </message>
        <message>
            <source>The reference views most like the photo; click one to see it on the map, double-click to compare the pictures</source>
            <translation>De referentiebeelden die het meest op de foto lijken; klik om er een op de kaart te zien, dubbelklik om de beelden te vergelijken</translation>
        </message>
        <message>
            <source>The results of {0} could not be written to {1} ({2}): they are lost when the project is closed unless you use Save results…</source>
            <translation>De resultaten van {0} konden niet naar {1} worden geschreven ({2}): ze gaan verloren als het project sluit, tenzij u Resultaten opslaan… gebruikt</translation>
        </message>
        <message>
            <source>The retrieved reference views with similarity and inliers.</source>
            <translation>De opgehaalde referentiebeelden met gelijkenis en kloppende punten.</translation>
        </message>
        <message>
            <source>The search area is empty</source>
            <translation>Het zoekgebied is leeg</translation>
        </message>
        <message>
            <source>The search area layer has no polygons</source>
            <translation>De zoekgebiedlaag bevat geen polygonen</translation>
        </message>
        <message>
            <source>The start date is after the end date</source>
            <translation>De begindatum ligt na de einddatum</translation>
        </message>
        <message>
            <source>The table's field whose values name the albums.</source>
            <translation>Het veld van de tabel waarvan de waarden de albums benoemen.</translation>
        </message>
        <message>
            <source>There is no map canvas to take the extent from</source>
            <translation>Er is geen kaartvenster om de extent van te nemen</translation>
        </message>
        <message>
            <source>There is no ready-made package (wheel) of {0} for this QGIS ({1}); GeoPin does not compile packages. Please report it to GeoPin.</source>
            <translation>Er is geen kant-en-klaar pakket (wheel) van {0} voor deze QGIS ({1}); GeoPin compileert geen pakketten. Meld het alstublieft bij GeoPin.</translation>
        </message>
        <message>
            <source>They are installed with pip into {0} (outside the plugin folder).</source>
            <translation>Ze worden met pip geïnstalleerd in {0} (buiten de pluginmap).</translation>
        </message>
        <message>
            <source>This database holds {0} local features, so it is verified with the older verifier. Run 'Build reference database' on it again to add {1} features (nothing is re-embedded).</source>
            <translation>Deze database bevat lokale kenmerken van {0} en wordt daarom met de oudere verificatie gecontroleerd. Voer 'Referentiedatabase bouwen' er opnieuw op uit om {1}-kenmerken toe te voegen (er wordt niets opnieuw geëmbed).</translation>
        </message>
        <message>
            <source>This reference pinned the camera heading: {0}° ± {1}°</source>
            <translation>Dit referentiebeeld legde de kijkrichting van de camera vast: {0}° ± {1}°</translation>
        </message>
        <message>
            <source>Use a folder of wheels…</source>
            <translation>Een map met wheels gebruiken…</translation>
        </message>
        <message>
            <source>Used as</source>
            <translation>Gebruikt als</translation>
        </message>
        <message>
            <source>Verifying</source>
            <translation>Verifiëren</translation>
        </message>
        <message>
            <source>View cone</source>
            <translation type="vanished">Kijkkegel</translation>
        </message>
        <message>
            <source>View cone — {0}</source>
            <translation>Kijkkegel — {0}</translation>
        </message>
        <message>
            <source>View cones</source>
            <translation>Kijkkegels</translation>
        </message>
        <message>
            <source>View cones (optional, field 'photo')</source>
            <translation>Kijkkegels (optioneel, veld 'photo')</translation>
        </message>
        <message>
            <source>Views added</source>
            <translation>Toegevoegde beelden</translation>
        </message>
        <message>
            <source>Views per panorama</source>
            <translation>Beelden per panorama</translation>
        </message>
        <message>
            <source>Walking (2 m/s)</source>
            <translation>Lopen (2 m/s)</translation>
        </message>
        <message>
            <source>What</source>
            <translation>Wat</translation>
        </message>
        <message>
            <source>Where</source>
            <translation>Waar</translation>
        </message>
        <message>
            <source>Where each located camera looked: heading, field of view and depth.</source>
            <translation>Waar elke gevonden camera naartoe keek: kijkrichting, beeldhoek en diepte.</translation>
        </message>
        <message>
            <source>Where to create a new database (ignored when a database to add to is chosen above).</source>
            <translation type="vanished">Waar een nieuwe database wordt gemaakt (genegeerd als hierboven een database om aan toe te voegen is gekozen).</translation>
        </message>
        <message>
            <source>Where to create a new database (ignored when a database to add to is chosen above). Left as a temporary file, it is kept in GeoPin's data folder instead, as QGIS deletes temporary files when it closes.</source>
            <translation>Waar een nieuwe database wordt gemaakt (genegeerd als hierboven een database om aan toe te voegen is gekozen). Blijft dit een tijdelijk bestand, dan wordt de database in de gegevensmap van GeoPin bewaard, omdat QGIS tijdelijke bestanden bij het afsluiten verwijdert.</translation>
        </message>
        <message>
            <source>Which parcels the camera probably stood on and which buildings and addresses are in the photo (PDOK)</source>
            <translation>Op welke percelen de camera waarschijnlijk stond en welke gebouwen en adressen op de foto staan (PDOK)</translation>
        </message>
        <message>
            <source>Worker processes (0: one per CPU core)</source>
            <translation>Werkprocessen (0: één per processorkern)</translation>
        </message>
        <message>
            <source>Working in one process: {0}</source>
            <translation>Werken in één proces: {0}</translation>
        </message>
        <message>
            <source>Write the results of all photos into a GeoPackage of your choice</source>
            <translation>De resultaten van alle foto's naar een GeoPackage naar keuze schrijven</translation>
        </message>
        <message>
            <source>Your photo</source>
            <translation>Uw foto</translation>
        </message>
        <message>
            <source>ZIP files (*.zip)</source>
            <translation>ZIP-bestanden (*.zip)</translation>
        </message>
        <message>
            <source>area {0}–{1} N, {2}–{3} E</source>
            <translation>gebied {0}–{1} N, {2}–{3} O</translation>
        </message>
        <message>
            <source>assumed</source>
            <translation>aangenomen</translation>
        </message>
        <message>
            <source>camera heading</source>
            <translation>kijkrichting</translation>
        </message>
        <message>
            <source>camera heading {0}° ± {1}° · field of view {2}° ({3}) · view cone {4} m ({5})</source>
            <translation>kijkrichting {0}° ± {1}° · beeldhoek {2}° ({3}) · kijkkegel {4} m ({5})</translation>
        </message>
        <message>
            <source>confidence</source>
            <translation>betrouwbaarheid</translation>
        </message>
        <message>
            <source>confident</source>
            <translation>zeker</translation>
        </message>
        <message>
            <source>dashed circle: the camera stood inside it with {0} % probability</source>
            <translation>gestippelde cirkel: de camera stond erbinnen met {0} % kans</translation>
        </message>
        <message>
            <source>default</source>
            <translation>standaard</translation>
        </message>
        <message>
            <source>error</source>
            <translation>fout</translation>
        </message>
        <message>
            <source>estimated</source>
            <translation>geschat</translation>
        </message>
        <message>
            <source>field of view</source>
            <translation>beeldhoek</translation>
        </message>
        <message>
            <source>from EXIF</source>
            <translation>uit EXIF</translation>
        </message>
        <message>
            <source>heading pinned by</source>
            <translation>kijkrichting vastgelegd door</translation>
        </message>
        <message>
            <source>heading pinned by view {0} ({1})</source>
            <translation>kijkrichting vastgelegd door beeld {0} ({1})</translation>
        </message>
        <message>
            <source>inliers</source>
            <translation>kloppende punten</translation>
        </message>
        <message>
            <source>no capture time: located alone</source>
            <translation>geen opnametijd: apart gelokaliseerd</translation>
        </message>
        <message>
            <source>no match</source>
            <translation>geen overeenkomst</translation>
        </message>
        <message>
            <source>no view cone: no camera heading (no verified reference with a known heading gave a usable pose)</source>
            <translation>geen kijkkegel: geen kijkrichting (geen geverifieerd referentiebeeld met een bekende kijkrichting gaf een bruikbare pose)</translation>
        </message>
        <message>
            <source>no view cone: not located</source>
            <translation>geen kijkkegel: niet gelokaliseerd</translation>
        </message>
        <message>
            <source>not located: candidates only</source>
            <translation>niet gelokaliseerd: alleen kandidaten</translation>
        </message>
        <message>
            <source>not verified</source>
            <translation>niet geverifieerd</translation>
        </message>
        <message>
            <source>ok</source>
            <translation>ok</translation>
        </message>
        <message>
            <source>own layer</source>
            <translation>eigen laag</translation>
        </message>
        <message>
            <source>pip failed (exit code {0}); see the log above.</source>
            <translation type="vanished">pip is mislukt (afsluitcode {0}); zie het logboek hierboven.</translation>
        </message>
        <message>
            <source>pip failed (exit code {0}); the log above says why.</source>
            <translation>pip is mislukt (afsluitcode {0}); het logboek hierboven zegt waarom.</translation>
        </message>
        <message>
            <source>pip will download {0} packages, {1:.0f} MB in all, into {2}. Click Install to download and install them.</source>
            <translation>pip downloadt {0} pakketten, {1:.0f} MB in totaal, naar {2}. Klik op Installeren om ze te downloaden en te installeren.</translation>
        </message>
        <message>
            <source>placed by the album (the photos taken just before and after it), not by its own pixels</source>
            <translation>geplaatst door het album (de foto's die vlak ervoor en erna zijn genomen), niet door de eigen pixels</translation>
        </message>
        <message>
            <source>plugin</source>
            <translation>plugin</translation>
        </message>
        <message>
            <source>posterior density (1/m²)</source>
            <translation type="vanished">posterior-dichtheid (1/m²)</translation>
        </message>
        <message>
            <source>probability per m² that the camera stood here</source>
            <translation>kans per m² dat de camera hier stond</translation>
        </message>
        <message>
            <source>see the GeoPin log (View ▸ Panels ▸ Log Messages)</source>
            <translation>zie het GeoPin-logboek (Beeld ▸ Panelen ▸ Logberichten)</translation>
        </message>
        <message>
            <source>similarity</source>
            <translation>gelijkenis</translation>
        </message>
        <message>
            <source>similarity {0}–{1}</source>
            <translation>gelijkenis {0}–{1}</translation>
        </message>
        <message>
            <source>the album puts this photo {0} m from its own answer: check it</source>
            <translation>het album plaatst deze foto {0} m van het eigen antwoord: controleer het</translation>
        </message>
        <message>
            <source>the photo cannot be read (not an image, or damaged)</source>
            <translation>de foto is onleesbaar (geen afbeelding, of beschadigd)</translation>
        </message>
        <message>
            <source>the photo is too small to recognise a place</source>
            <translation>de foto is te klein om een plek te herkennen</translation>
        </message>
        <message>
            <source>the reference database does not exist</source>
            <translation>de referentiedatabase bestaat niet</translation>
        </message>
        <message>
            <source>the reference database holds no reference views yet: build it first</source>
            <translation>de referentiedatabase bevat nog geen referentiebeelden: bouw hem eerst</translation>
        </message>
        <message>
            <source>the reference database was built with another model: rebuild it with this version of GeoPin</source>
            <translation>de referentiedatabase is met een ander model gebouwd: bouw hem opnieuw met deze versie van GeoPin</translation>
        </message>
        <message>
            <source>this file is not a GeoPin reference database, or it is damaged</source>
            <translation>dit bestand is geen GeoPin-referentiedatabase, of het is beschadigd</translation>
        </message>
        <message>
            <source>to the matched references</source>
            <translation>tot de overeenkomende referentiebeelden</translation>
        </message>
        <message>
            <source>uncertain</source>
            <translation>onzeker</translation>
        </message>
        <message>
            <source>unexpected error (details in the GeoPin log): {0}</source>
            <translation>onverwachte fout (details in het GeoPin-logboek): {0}</translation>
        </message>
        <message>
            <source>user</source>
            <translation>gebruiker</translation>
        </message>
        <message>
            <source>verified</source>
            <translation>geverifieerd</translation>
        </message>
        <message>
            <source>view</source>
            <translation>beeld</translation>
        </message>
        <message>
            <source>write failed</source>
            <translation>schrijven mislukt</translation>
        </message>
        <message>
            <source>{0:.0f} m from the photo's EXIF position</source>
            <translation type="vanished">{0:.0f} m van de EXIF-positie van de foto</translation>
        </message>
        <message>
            <source>{0} % region</source>
            <translation>{0} %-gebied</translation>
        </message>
        <message>
            <source>{0} OGC API address</source>
            <translation>Adres van de {0} OGC API</translation>
        </message>
        <message>
            <source>{0} and {1} are {2} m apart, more than the {3} m the camera can move in between: implausible jump</source>
            <translation>{0} en {1} liggen {2} m uit elkaar, meer dan de {3} m die de camera ertussen kan afleggen: onwaarschijnlijke sprong</translation>
        </message>
        <message>
            <source>{0} cannot be read back (incomplete)</source>
            <translation>{0} kan niet worden teruggelezen (onvolledig)</translation>
        </message>
        <message>
            <source>{0} capture groups have fewer than {1} images: no overlay mask learned (the verifier's overlay guards still apply)</source>
            <translation>{0} opnamegroepen hebben minder dan {1} beelden: geen overlaymasker geleerd (de overlaycontroles van de verificatie gelden nog steeds)</translation>
        </message>
        <message>
            <source>{0} could not be searched: {1}</source>
            <translation>In {0} kon niet worden gezocht: {1}</translation>
        </message>
        <message>
            <source>{0} does not exist.</source>
            <translation>{0} bestaat niet.</translation>
        </message>
        <message>
            <source>{0} has no images in this area (or in this date range).</source>
            <translation>{0} heeft geen beelden in dit gebied (of in deze periode).</translation>
        </message>
        <message>
            <source>{0} has no reference_views layer</source>
            <translation>{0} heeft geen laag reference_views</translation>
        </message>
        <message>
            <source>{0} images added ({1} views), {2} skipped, {3} failed</source>
            <translation>{0} beelden toegevoegd ({1} perspectiefbeelden), {2} overgeslagen, {3} mislukt</translation>
        </message>
        <message>
            <source>{0} images found, {1} added ({2} views), {3} already in the database, {4} failed</source>
            <translation>{0} beelden gevonden, {1} toegevoegd ({2} beelden), {3} al in de database, {4} mislukt</translation>
        </message>
        <message>
            <source>{0} is a GeoPackage but not a GeoPin reference database (layers {1}).</source>
            <translation>{0} is een GeoPackage maar geen GeoPin-referentiedatabase (lagen {1}).</translation>
        </message>
        <message>
            <source>{0} is a GeoPin database without views yet.</source>
            <translation>{0} is een GeoPin-database nog zonder aanzichten.</translation>
        </message>
        <message>
            <source>{0} is a GeoPin results GeoPackage (layers {1}), not a reference database: choose the database the photos are searched in.</source>
            <translation>{0} is een GeoPackage met GeoPin-resultaten (lagen {1}), geen referentiedatabase: kies de database waarin de foto's worden gezocht.</translation>
        </message>
        <message>
            <source>{0} is missing or empty</source>
            <translation>{0} ontbreekt of is leeg</translation>
        </message>
        <message>
            <source>{0} is not a GeoPackage.</source>
            <translation>{0} is geen GeoPackage.</translation>
        </message>
        <message>
            <source>{0} m from the estimate</source>
            <translation>{0} m van de schatting</translation>
        </message>
        <message>
            <source>{0} m from the photo's EXIF position</source>
            <translation>{0} m van de EXIF-positie van de foto</translation>
        </message>
        <message>
            <source>{0} needs an access token.</source>
            <translation>{0} vereist een toegangstoken.</translation>
        </message>
        <message>
            <source>{0} needs an access token. Store it in QGIS Settings ▸ Options ▸ Authentication and choose that configuration in the AUTH_CONFIG parameter (Authentication configuration).</source>
            <translation>{0} vereist een toegangstoken. Sla het op in QGIS Instellingen ▸ Opties ▸ Authenticatie en kies die configuratie in de parameter AUTH_CONFIG (Authenticatieconfiguratie).</translation>
        </message>
        <message>
            <source>{0} normally come with QGIS: reinstall QGIS with them (OSGeo4W: the python3-* packages) or, on Debian/Ubuntu, run: sudo apt install {1}</source>
            <translation>{0} horen bij QGIS: installeer QGIS opnieuw met deze pakketten (OSGeo4W: de python3-*-pakketten) of voer op Debian/Ubuntu uit: sudo apt install {1}</translation>
        </message>
        <message>
            <source>{0} parts of the area could not be searched on {1}, even after retries; the rest was imported. Run the import again later to fill them in (the GeoPin log names each part and the reason).</source>
            <translation>{0} delen van het gebied konden ook na herhaalde pogingen niet worden doorzocht bij {1}; de rest is geïmporteerd. Voer de import later opnieuw uit om ze aan te vullen (het GeoPin-logboek noemt elk deel en de reden).</translation>
        </message>
        <message>
            <source>{0} per km²</source>
            <translation>{0} per km²</translation>
        </message>
        <message>
            <source>{0} photos</source>
            <translation>{0} foto's</translation>
        </message>
        <message>
            <source>{0} queries ({1} positives): {2} % within 50 m, median error {3} m</source>
            <translation>{0} query's ({1} positief): {2} % binnen 50 m, mediane fout {3} m</translation>
        </message>
        <message>
            <source>{0} refused the access token (HTTP {1}).</source>
            <translation>{0} weigerde het toegangstoken (HTTP {1}).</translation>
        </message>
        <message>
            <source>{0} views from {1}; models {2}</source>
            <translation>{0} aanzichten van {1}; modellen {2}</translation>
        </message>
        <message>
            <source>{0} {1} · {2:.0f} m</source>
            <translation>{0} {1} · {2:.0f} m</translation>
        </message>
        <message>
            <source>{0} · confidence {1:.2f} · ± {2:.0f} m · {3} verified</source>
            <translation type="vanished">{0} · betrouwbaarheid {1:.2f} · ± {2:.0f} m · {3} geverifieerd</translation>
        </message>
        <message>
            <source>{0} · confidence {1} · ± {2} m · {3} verified</source>
            <translation>{0} · betrouwbaarheid {1} · ± {2} m · {3} geverifieerd</translation>
        </message>
        <message>
            <source>{0}: 'no match'; skipped</source>
            <translation>{0}: 'geen overeenkomst'; overgeslagen</translation>
        </message>
        <message>
            <source>{0}: a 360° panorama, located from {1} views (at {2} in the panorama; compass heading unknown), {3} agree</source>
            <translation>{0}: een 360°-panorama, gelokaliseerd met {1} beelden (op {2} in het panorama; kompasrichting onbekend), {3} komen overeen</translation>
        </message>
        <message>
            <source>{0}: a 360° panorama, located from {1} views facing {2}; {3} agree</source>
            <translation>{0}: een 360°-panorama, gelokaliseerd met {1} beelden in de richtingen {2}; {3} komen overeen</translation>
        </message>
        <message>
            <source>{0}: building outlines missing ({1}); located without them</source>
            <translation>{0}: gebouwomtrekken ontbreken ({1}); zonder omtrekken gelokaliseerd</translation>
        </message>
        <message>
            <source>{0}: cannot read the photo ({1}); skipped</source>
            <translation type="vanished">{0}: foto onleesbaar ({1}); overgeslagen</translation>
        </message>
        <message>
            <source>{0}: geolocation failed ({1}); skipped</source>
            <translation>{0}: lokaliseren mislukt ({1}); overgeslagen</translation>
        </message>
        <message>
            <source>{0}: its EXIF position is {1} km from the nearest reference view, outside this database's coverage; expect no match</source>
            <translation>{0}: de EXIF-positie ligt {1} km van het dichtstbijzijnde referentiebeeld, buiten de dekking van deze database; verwacht geen overeenkomst</translation>
        </message>
        <message>
            <source>{0}: no capture time, located alone</source>
            <translation>{0}: geen opnametijd, apart gelokaliseerd</translation>
        </message>
        <message>
            <source>{0}: no estimate (error row); skipped</source>
            <translation>{0}: geen schatting (foutregel); overgeslagen</translation>
        </message>
        <message>
            <source>{0}: no posterior raster covers it; using its ±{1:.0f} m error radius</source>
            <translation>{0}: geen posterior-raster dekt hem; de foutstraal van ±{1:.0f} m wordt gebruikt</translation>
        </message>
        <message>
            <source>{0}: not located (no match; {1} verified of {2} candidates); {3} s</source>
            <translation>{0}: niet gelokaliseerd (geen overeenkomst; {1} geverifieerd van {2} kandidaten); {3} s</translation>
        </message>
        <message>
            <source>{0}: posterior mass {1:.2f}, {2} requests</source>
            <translation>{0}: posterior-massa {1:.2f}, {2} verzoeken</translation>
        </message>
        <message>
            <source>{0}: the posterior raster must be in EPSG:28992</source>
            <translation>{0}: het posterior-raster moet in EPSG:28992 zijn</translation>
        </message>
        <message>
            <source>{0}: {1}</source>
            <translation>{0}: {1}</translation>
        </message>
        <message>
            <source>{0}: {1} holds {2} of the {3} features written</source>
            <translation>{0}: {1} bevat {2} van de {3} geschreven objecten</translation>
        </message>
        <message>
            <source>{0}: {1} photos, {2} placed by the album</source>
            <translation>{0}: {1} foto's, {2} geplaatst door het album</translation>
        </message>
        <message>
            <source>{0}: {1} photos, {2} placed by the album — {3}</source>
            <translation>{0}: {1} foto's, {2} geplaatst door het album — {3}</translation>
        </message>
        <message>
            <source>{0}: {1}, confidence {2:.2f}, ±{3:.0f} m, {4} verified; {5:.1f} s</source>
            <translation type="vanished">{0}: {1}, betrouwbaarheid {2:.2f}, ±{3:.0f} m, {4} geverifieerd; {5:.1f} s</translation>
        </message>
        <message>
            <source>{0}: {1}, confidence {2}, ±{3} m, {4} verified; {5} s</source>
            <translation>{0}: {1}, betrouwbaarheid {2}, ±{3} m, {4} geverifieerd; {5} s</translation>
        </message>
        <message>
            <source>{0}: {1}; skipped</source>
            <translation>{0}: {1}; overgeslagen</translation>
        </message>
        <message>
            <source>◀ Previous</source>
            <translation>◀ Vorige</translation>
        </message>
    </context>
</TS>
