/** The app shell: who is signed in, the nav, and the page the location hash names. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, session, SIGNED_OUT_EVENT, type Me } from './api';
import { href, parseRoute, type Route } from './router';
import { Heading, Loading } from './ui';
import { SearchPage } from './pages/search';
import { RestaurantPage } from './pages/restaurant';
import { MyReservationsPage } from './pages/reservations';
import { DashboardPage, MyRestaurantsPage } from './pages/owner';
import { EditPage } from './pages/edit';
import { SignInPage, SignUpPage } from './pages/auth';

export interface Auth {
  /** undefined while the token is being checked, null when signed out. */
  me: Me | null | undefined;
  /** After sign-in (or a change that alters the account's restaurants): read /auth/me again. */
  reload: () => Promise<Me | null>;
}

function NavLink({ to, current, children }: { to: string; current: boolean; children: string }) {
  return (
    <a href={to} aria-current={current ? 'page' : undefined}>
      {children}
    </a>
  );
}

export function App() {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  const [me, setMe] = useState<Me | null | undefined>(session.token() ? undefined : null);

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    const onSignedOut = () => setMe(null);
    addEventListener('hashchange', onHash);
    addEventListener(SIGNED_OUT_EVENT, onSignedOut);
    return () => {
      removeEventListener('hashchange', onHash);
      removeEventListener(SIGNED_OUT_EVENT, onSignedOut);
    };
  }, []);

  const reload = useCallback(async (): Promise<Me | null> => {
    if (!session.token()) {
      setMe(null);
      return null;
    }
    try {
      const who = await get<Me>('/auth/me');
      setMe(who);
      return who;
    } catch {
      // a rejected token was cleared by the client; a network error leaves the token for the next try
      setMe(session.token() ? undefined : null);
      return null;
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  useEffect(() => {
    if (route.page === 'signout') {
      session.clear();
      setMe(null);
      location.replace('#/');
    }
  }, [route]);

  const auth: Auth = { me, reload };
  const signedIn = !!me;
  const owner = !!me && me.ownedRestaurantIds.length > 0;
  const p = route.page;

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/">
          Reservations
        </a>
        <nav aria-label="Main">
          <NavLink to={href.search()} current={p === 'search' || p === 'restaurant'}>Restaurants</NavLink>
          {signedIn && <NavLink to={href.reservations()} current={p === 'reservations'}>My reservations</NavLink>}
          {owner && <NavLink to={href.owner()} current={p === 'owner' || p === 'dashboard' || p === 'edit'}>My restaurants</NavLink>}
          {me === null && <NavLink to={href.signin()} current={p === 'signin'}>Sign in</NavLink>}
          {me === null && <NavLink to={href.signup()} current={p === 'signup'}>Sign up</NavLink>}
          {signedIn && (
            <a href={href.signout()} class="signout" title={`Signed in as ${me.name}`}>
              Sign out
            </a>
          )}
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} auth={auth} />
      </main>
    </>
  );
}

function Page({ route, auth }: { route: Route; auth: Auth }) {
  switch (route.page) {
    case 'search':
      return <SearchPage initialQ={route.q} initialCuisine={route.cuisine} />;
    case 'restaurant':
      return <RestaurantPage key={route.id} id={route.id} auth={auth} />;
    case 'signin':
      return <SignInPage next={route.next} auth={auth} />;
    case 'signup':
      return <SignUpPage next={route.next} auth={auth} />;
    case 'signout':
      return <Loading />;
    case 'notfound':
      return (
        <>
          <Heading>Page not found</Heading>
          <p>
            There is no page {route.path}. <a href="#/">Find a restaurant</a>.
          </p>
        </>
      );
    default:
  }
  // the rest are the signed-in user's own pages
  if (auth.me === undefined) return <Loading />;
  if (auth.me === null) {
    const here = location.hash || '#/';
    return (
      <>
        <Heading>Sign in first</Heading>
        <p>
          This page is for signed-in users. <a href={href.signin(here)}>Sign in</a> or <a href={href.signup(here)}>create an account</a>.
        </p>
      </>
    );
  }
  switch (route.page) {
    case 'reservations':
      return <MyReservationsPage />;
    case 'owner':
      return <MyRestaurantsPage me={auth.me} />;
    case 'dashboard':
      return <DashboardPage key={route.id} id={route.id} />;
    case 'edit':
      return <EditPage key={`${route.id}/${route.what}`} id={route.id} what={route.what} />;
  }
}
