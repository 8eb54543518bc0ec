import { Alert, Box, Button, Card, Field, Heading, Input, Stack, Text } from '@chakra-ui/react';
import { type FormEvent, useState } from 'react';
import { Navigate, useSearchParams } from 'react-router-dom';
import { useSession } from '@/lib/session';
import { useLogin } from '../api/login';

const homeFor = (role: string | undefined) =>
  role === 'supervisor' || role === 'admin' ? '/supervisor' : '/agent';

export function LoginPage() {
  const [params] = useSearchParams();
  const user = useSession((s) => s.user);
  const login = useLogin();
  const [email, setEmail] = useState(params.get('email') ?? '');
  const [password, setPassword] = useState('');

  if (user !== null) {
    const next = params.get('next');
    return <Navigate to={next?.startsWith('/') ? next : homeFor(user.role)} replace />;
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ email, password });
  };

  return (
    <Box minH="100vh" display="grid" placeItems="center" px="4" bg="bg.canvas">
      <Card.Root width="full" maxW="sm" bg="surface" shadow="md">
        <Card.Body>
          <form onSubmit={submit} aria-label="Sign in">
            <Stack gap="5">
              <Stack gap="1">
                <Text fontSize="sm" color="brand.fg" fontWeight="semibold">
                  AI Contact Center
                </Text>
                <Heading size="lg">Sign in</Heading>
                <Text fontSize="sm" color="fg.muted">
                  Agents and supervisors. The demo accounts and password are printed by{' '}
                  <code>make run</code>.
                </Text>
              </Stack>
              {login.error && (
                <Alert.Root status="error" size="sm">
                  <Alert.Indicator />
                  <Alert.Title>{login.error.message}</Alert.Title>
                </Alert.Root>
              )}
              <Field.Root required>
                <Field.Label>E-mail</Field.Label>
                <Input
                  type="email"
                  autoComplete="username"
                  value={email}
                  onChange={(e) => setEmail(e.target.value)}
                  placeholder="agent@demo.example"
                />
              </Field.Root>
              <Field.Root required>
                <Field.Label>Password</Field.Label>
                <Input
                  type="password"
                  autoComplete="current-password"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              </Field.Root>
              <Button type="submit" colorPalette="brand" loading={login.isPending}>
                Sign in
              </Button>
            </Stack>
          </form>
        </Card.Body>
      </Card.Root>
    </Box>
  );
}
