/** Sign in and sign up with the API's own auth (POST /auth/login, /auth/register); the token lives in sessionStorage. */
import { useState } from 'preact/hooks';
import { call, session } from '../api';
import type { Auth } from '../app';
import { href } from '../router';
import { Alert, Heading, useAction } from '../ui';

interface Login {
  accessToken: string;
}

async function signIn(email: string, password: string, auth: Auth, next: string): Promise<void> {
  const { body } = await call<Login>('POST', '/auth/login', { body: { email, password } });
  session.set(body.accessToken);
  const me = await auth.reload();
  // an owner starts where their reservations are, unless they were on their way somewhere
  location.hash = next === '#/' && me && me.ownedRestaurantIds.length > 0 ? href.owner() : next;
}

export function SignInPage({ next, auth }: { next: string; auth: Auth }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, problem, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(() => signIn(email.trim(), password, auth, next));
  };
  return (
    <section class="narrow">
      <Heading>Sign in</Heading>
      <form onSubmit={submit}>
        <label>
          Email
          <input type="email" name="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <Alert problem={problem} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <p>
        No account yet? <a href={href.signup(next === '#/' ? undefined : next)}>Create one</a>.
      </p>
    </section>
  );
}

export function SignUpPage({ next, auth }: { next: string; auth: Auth }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { busy, problem, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await call('POST', '/auth/register', { body: { name: name.trim(), email: email.trim(), password } });
      await signIn(email.trim(), password, auth, next);
    });
  };
  return (
    <section class="narrow">
      <Heading>Create an account</Heading>
      <form onSubmit={submit}>
        <label>
          Name
          <input type="text" name="name" autoComplete="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Email
          <input type="email" name="email" autoComplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="new-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <Alert problem={problem} />
        <button type="submit" disabled={busy}>
          Create account
        </button>
      </form>
      <p>
        Have an account? <a href={href.signin(next === '#/' ? undefined : next)}>Sign in</a>.
      </p>
    </section>
  );
}
