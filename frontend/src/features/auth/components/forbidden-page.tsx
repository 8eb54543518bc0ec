import { Button, Heading, Stack, Text } from '@chakra-ui/react';
import { Link } from 'react-router-dom';

export function ForbiddenPage({ role }: { role: string }) {
  return (
    <Stack minH="60vh" align="center" justify="center" gap="3" textAlign="center" px="4">
      <Heading size="lg">This page is not for your role</Heading>
      <Text color="fg.muted">You are signed in as {role}.</Text>
      <Button asChild variant="outline">
        <Link to="/agent">Go to the agent console</Link>
      </Button>
    </Stack>
  );
}
