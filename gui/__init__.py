"""The desktop GUI: the activation wizard, the launcher, the traffic-light tray and the
progress window. It renders the engine's Status and drives engine.api.Engine; it never
touches the database or the network itself."""
