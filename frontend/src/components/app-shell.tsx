import { Box, Button, Link as ChakraLink, Flex, HStack, Text } from '@chakra-ui/react';
import type { ReactNode } from 'react';
import { NavLink } from 'react-router-dom';
import { ConnectionBadge } from './connection-badge';

export interface NavItem {
  to: string;
  label: string;
  end?: boolean;
}

interface Props {
  nav: NavItem[];
  userName: string;
  role: string;
  onSignOut: () => void;
  /** Extra controls in the header (the alerts bell). */
  actions?: ReactNode;
  children: ReactNode;
}

/** The console's frame: header with navigation, live status and the signed-in user. */
export function AppShell({ nav, userName, role, onSignOut, actions, children }: Props) {
  const links = nav.map((item) => (
    <ChakraLink
      key={item.to}
      asChild
      px="3"
      py="1.5"
      borderRadius="md"
      fontSize="sm"
      fontWeight="medium"
      whiteSpace="nowrap"
      color="fg.muted"
      _hover={{ bg: 'bg.muted', textDecoration: 'none' }}
      css={{ '&.active': { bg: 'brand.subtle', color: 'brand.fg' } }}
    >
      <NavLink to={item.to} end={item.end}>
        {item.label}
      </NavLink>
    </ChakraLink>
  ));
  return (
    <Flex direction="column" minH="100vh">
      <Box
        as="header"
        bg="surface"
        borderBottomWidth="1px"
        position="sticky"
        top="0"
        zIndex="docked"
      >
        <Flex h="14" px={{ base: '3', md: '6' }} align="center" gap={{ base: '3', md: '6' }}>
          <HStack gap="2" flexShrink={0}>
            <Box
              w="7"
              h="7"
              borderRadius="md"
              bg="brand.solid"
              color="brand.contrast"
              display="grid"
              placeItems="center"
              fontWeight="bold"
              fontSize="sm"
              aria-hidden
            >
              AI
            </Box>
            <Text fontWeight="semibold" display={{ base: 'none', lg: 'block' }}>
              Contact Center
            </Text>
          </HStack>
          <HStack
            as="nav"
            aria-label="Main"
            gap="1"
            flex="1"
            display={{ base: 'none', md: 'flex' }}
          >
            {links}
          </HStack>
          <Box flex="1" display={{ base: 'block', md: 'none' }} />
          <HStack gap={{ base: '2', md: '3' }} flexShrink={0}>
            <ConnectionBadge />
            {actions}
            <Box textAlign="right" display={{ base: 'none', md: 'block' }}>
              <Text fontSize="sm" fontWeight="medium" lineHeight="short">
                {userName}
              </Text>
              <Text fontSize="xs" color="fg.muted" textTransform="capitalize">
                {role}
              </Text>
            </Box>
            <Button size="xs" variant="ghost" onClick={onSignOut}>
              Sign out
            </Button>
          </HStack>
        </Flex>
        <HStack
          as="nav"
          aria-label="Main"
          gap="1"
          px="2"
          pb="2"
          overflowX="auto"
          display={{ base: 'flex', md: 'none' }}
        >
          {links}
        </HStack>
      </Box>
      <Box as="main" flex="1" px={{ base: '3', md: '6' }} py="5">
        {children}
      </Box>
    </Flex>
  );
}
